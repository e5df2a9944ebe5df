# Expect: corr2d returns a 288 MB array; the channel refuses it with a clear
# message, the part is graded (zero) and the next parts are graded too.
# %% corr2d_solution
def corr2d(X, K):
    return np.zeros((6000, 6000))
