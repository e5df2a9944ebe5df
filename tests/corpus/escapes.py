# Expect: no network, no course file, no gradebook, no other student visible or
# writable from inside; every attempt below prints a failure, nothing changes
# outside the sandbox.
# %% corr2d_solution
def corr2d(X, K):
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)
    return np.einsum("ijkl,kl->ij", windows, K)


import glob, os, socket, sqlite3
for host, port in [("pypi.org", 443), ("127.0.0.1", 22), ("10.0.0.1", 80)]:
    try:
        socket.create_connection((host, port), timeout=2)
        print("NETWORK OPEN", host)
    except OSError as exc:
        print("network closed:", host, type(exc).__name__)
found = []
# Where a course usually lives; the venv under /work/main/.venv is visible (read-only), so
# no recursive walk there.
for pattern in ["/work/*/gradebook.db", "/work/*/source/*/*.ipynb", "/work/*/autograder/exercises/*.py",
                "/work/*/submitted/*/*/*.ipynb", "/tmp/**/gradebook.db", "/root/**/*.ipynb",
                "/*/gradebook.db", "/*/*/gradebook.db", "/*/*/submitted/*/*/*.ipynb",
                "/proc/*/cwd/gradebook.db"]:
    found += glob.glob(pattern, recursive=True)
print("FOUND" if found else "found nothing", found[:5])
for path in ["/usr/lib/escape.txt", "/opt/autograder/escape.py", "/etc/escape", "/work/escape",
             "/scratch/../escape", "/proc/1/root/escape"]:
    try:
        with open(path, "w") as f:
            f.write("x")
        print("WROTE", path)
    except OSError as exc:
        print("cannot write", path, type(exc).__name__)
print("uid", os.getuid(), "env has secrets:", any("TOKEN" in k or "KEY" in k for k in os.environ))
