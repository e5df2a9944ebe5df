# Expect: 30 MB of prints are capped in the autograded notebook and the
# feedback page; corr2d keeps full marks.
# %% corr2d_solution
def corr2d(X, K):
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)
    return np.einsum("ijkl,kl->ij", windows, K)
# %% append
for _ in range(30):
    print("y" * 1_000_000)
