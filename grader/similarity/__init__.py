"""Which submissions of a class share code beyond the template, and where (issue 25).

tokens (normalised Python tokens) -> documents (each notebook's own code, winnowed) ->
compare (weighted pairs, the class's outlier threshold) -> render (HTML and CSV); run ties them
to a graded folder, cli is `grader similarity`.
"""

from grader.similarity.run import SimilarityResult, similarity_report

__all__ = ["SimilarityResult", "similarity_report"]
