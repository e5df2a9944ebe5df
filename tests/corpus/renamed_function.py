# Expect: corr2d is missing (the student named it corr_2d): zero for corr2d with
# a message that names the missing function; graded, not flagged.
# %% corr2d_solution
def corr_2d(X, K):
    X = np.asarray(X, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(X, np.shape(K))
    return np.einsum("ijkl,kl->ij", windows, np.asarray(K, dtype=np.float64))
