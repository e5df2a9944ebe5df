"""Cap what a student's cells printed, so a huge output cannot bloat autograded notebooks or feedback."""
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade
from traitlets import Integer

TEXT_KEYS = ("text/plain", "text/html", "text/markdown", "text/latex", "application/javascript",
             "image/svg+xml", "application/json")


class CapOutputs(NbGraderPreprocessor):
    """Truncate each output of a student cell and limit how many outputs a cell keeps."""

    max_chars = Integer(20_000, help="Characters kept of one output's text (stream, repr, HTML, traceback).").tag(config=True)
    max_outputs = Integer(50, help="Outputs kept per cell; the rest are replaced by one note.").tag(config=True)
    max_image_bytes = Integer(1 << 20, help="Largest image (base64 bytes) kept; bigger ones become a note.").tag(config=True)

    def _cut(self, text):
        if isinstance(text, list):
            text = "".join(map(str, text))
        if not isinstance(text, str):
            text = str(text)
        if len(text) <= self.max_chars:
            return text
        return text[:self.max_chars] + f"\n[... {len(text) - self.max_chars} characters omitted ...]\n"

    def preprocess_cell(self, cell, resources, index):
        # Grade cells' outputs are written by the grader, never by the student.
        if cell.cell_type != "code" or is_grade(cell):
            return cell, resources
        outputs = cell.get("outputs", [])
        kept = outputs[:self.max_outputs]
        for out in kept:
            if "text" in out:
                out["text"] = self._cut(out["text"])
            if "traceback" in out:
                out["traceback"] = [self._cut("\n".join(map(str, out["traceback"])))]
            for key in ("ename", "evalue"):
                if key in out:
                    out[key] = self._cut(out[key])
            data = out.get("data", {})
            for key in list(data):
                if key in TEXT_KEYS:
                    data[key] = self._cut(data[key])
                elif len(str(data[key])) > self.max_image_bytes:
                    data.pop(key)
                    data.setdefault("text/plain", f"[{key} output larger than {self.max_image_bytes} bytes omitted]")
        if len(outputs) > self.max_outputs:
            kept.append(new_output("stream", name="stdout",
                                   text=f"[... {len(outputs) - self.max_outputs} more outputs omitted ...]\n"))
        cell.outputs = kept
        return cell, resources
