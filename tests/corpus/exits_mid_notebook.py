# Expect: os._exit in the edge-kernel cell costs that cell (KernelDied in its
# output) and the part it defines; corr2d, defined before it, keeps full marks.
# %% corr2d_solution
def corr2d(X, K):
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)
    return np.einsum("ijkl,kl->ij", windows, K)
# %% edge_kernels_solution
import os
os._exit(1)
