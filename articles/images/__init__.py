"""The image pipeline: fetch remote images safely, verify them with Pillow, make renditions, store them.

addresses  which URLs and IP addresses may be fetched (pure, no network)
fetch      one HTTP(S) download pinned to a checked address, with limits
verify     what the bytes really are (Pillow), bounded in size and pixels
renditions clean, metadata-free copies named by content hash, written through Django's storage
ledger     what each URL was stored as, kept beside the files (survives the importer recreating rows)
services   the cache queue on `Image` rows: one fetch per distinct URL, shared state, retries with backoff
tasks      the same work as background tasks on Django's tasks framework
"""
