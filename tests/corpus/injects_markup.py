# Expect: none of these scripts runs when the feedback page is opened in a
# browser: HTML and JavaScript outputs, a markdown answer, a printed tag, and
# a returned type whose name is markup (quoted in the feedback message).
# %% corr2d_solution
from IPython.display import HTML, Javascript, Markdown, display
display(HTML("<script>document.body.setAttribute('data-pwned', 'html-script')</script>"
             "<img src=x onerror=\"document.body.setAttribute('data-pwned', 'img-onerror')\">"))
display(Javascript("document.body.setAttribute('data-pwned', 'javascript')"))
display(Markdown("<script>document.body.setAttribute('data-pwned', 'markdown')</script>"))
print("<script>document.body.setAttribute('data-pwned', 'print')</script>")
Markup = type("<img src=x onerror=\"document.body.setAttribute('data-pwned','type-name')\">", (), {})

def corr2d(X, K):
    return Markup()
# %% why_cross_correlation
Because <script>document.body.setAttribute('data-pwned', 'answer')</script> flipping
<img src=x onerror="document.body.setAttribute('data-pwned', 'answer-img')"> is learned.
