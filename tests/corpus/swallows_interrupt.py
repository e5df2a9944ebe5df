# Expect: the looping cell is interrupted, does not stop, and is skipped; the
# notebook is replayed without it and every part is graded (corr2d in full).
# %% corr2d_solution
def corr2d(X, K):
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)
    return np.einsum("ijkl,kl->ij", windows, K)
# %% append
import time
while True:
    try:
        time.sleep(0.5)
    except KeyboardInterrupt:
        pass
