"""A small taxonomy in the shape of the real one (root, "AI in X" topics, company topics, a grandchild)."""

from articles.topics.terms import TopicSpec

AI, ML, VISION, SALES, SECURITY, ROBOTICS, MICROSOFT, AWS, GOOGLE, TENSORFLOW, HEALTH = range(1, 12)

TOPICS = [
    TopicSpec(AI, "AI", keywords=("artificial intelligence", "ai")),
    TopicSpec(ML, "Machine Learning", "ML", AI, ("machine learning", "ml", "deep learning", "neural network")),
    TopicSpec(VISION, "Computer Vision", "Vision", AI, ("computer vision", "facial recognition", "rekognition")),
    TopicSpec(SALES, "AI in Sales", "Sales", AI, ("crm", "sales")),
    TopicSpec(SECURITY, "AI in Security", "Security", AI, ("security",)),
    TopicSpec(ROBOTICS, "AI in Robotics", "Robotics", AI, ("robotics", "robot")),
    TopicSpec(MICROSOFT, "Microsoft AI", "", AI, ("cognitive services", "azure", "microsoft")),
    TopicSpec(AWS, "AWS AI", "", AI, ("aws", "amazon web services", "sagemaker", "amazon rekognition")),
    TopicSpec(GOOGLE, "Google AI", "", AI, ("tensorflow", "deepmind")),
    TopicSpec(TENSORFLOW, "TensorFlow", "", GOOGLE, ("tensorflow",)),
    TopicSpec(HEALTH, "AI in Healthcare", "Healthcare", AI, ("healthcare", "therapy")),
]
