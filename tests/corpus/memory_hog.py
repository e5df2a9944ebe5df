# Expect: the 8 GiB allocation fails with MemoryError inside the sandbox
# (default limit 4 GiB); the grader is untouched and corr2d keeps full marks.
# %% corr2d_solution
def corr2d(X, K):
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)
    return np.einsum("ijkl,kl->ij", windows, K)
# %% append
hog = bytearray(8 << 30)
print("allocated", len(hog))
