# Expect: NaN, ragged and object results lose the corr2d points with messages
# a student understands; the grader does not crash on any of them.
# %% corr2d_solution
def corr2d(X, K):
    kind = int(np.asarray(K).size) % 4
    if kind == 0:
        return np.full((1, 1), np.nan)
    if kind == 1:
        return [[1.0, 2.0], [3.0]]
    if kind == 2:
        return np.array([object(), None], dtype=object)
    return np.full((2, 2), np.inf, dtype=np.complex128)
