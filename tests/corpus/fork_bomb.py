# Expect: forking stops at the process limit; corr2d keeps full marks; no
# child ("sleep 601") outlives the grading.
# %% corr2d_solution
def corr2d(X, K):
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)
    return np.einsum("ijkl,kl->ij", windows, K)
# %% append
import os
children = 0
try:
    for _ in range(100000):
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", "601"])
        children += 1
except OSError as exc:
    print("fork stopped after", children, "children:", type(exc).__name__)
