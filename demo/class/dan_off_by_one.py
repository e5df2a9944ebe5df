# A typical mistake: the output is one row and one column too small.
# %% corr2d_solution
def corr2d(X, K):
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h, X.shape[1] - w))
    X, K = np.asarray(X), np.asarray(K)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
