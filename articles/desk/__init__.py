"""The editors' desk: the review queue, review decisions and their undo, the dashboard's figures and charts.

`queue` reads the stories that need review and steps through them; `decisions` writes review mode's decisions
(through articles.services) and undoes them; `figures` answers the dashboard's questions, one query each;
`charts` draws them as SVG; `upstream` gathers what re-imports changed since an editor's review. The admin
screens that use them are articles/admin/dashboard.py and articles/admin/review.py.
"""
