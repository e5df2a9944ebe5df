"""Drop nbgrader metadata that a submission corrupted, so one notebook cannot stop the batch."""
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import NbGraderPreprocessor


class RepairMetadata(NbGraderPreprocessor):
    """Turn cells whose nbgrader metadata is invalid into ordinary cells.

    nbgrader's ``CheckCellMetadata`` raises ``SchemaTooNewError`` for one bad
    cell, and ``convert_notebooks`` answers that by aborting every remaining
    submission. Runs first among the sanitize steps, on nbgrader's in-memory
    copy (the submitted file is never touched); a grade cell dropped here comes
    back from the release through ``RestoreGradeCells``. Runs again just before
    ``CheckCellMetadata``, because nbgrader's own ``DeduplicateIds`` leaves an
    empty ``nbgrader`` mapping on a duplicated cell, which that check rejects.
    """

    def preprocess(self, nb, resources):
        validator = MetadataValidator()
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata")
            if not isinstance(meta, dict):
                cell["metadata"] = {}
                continue
            if "nbgrader" not in meta:
                continue
            try:
                if not isinstance(meta["nbgrader"], dict):
                    raise ValueError("not a mapping")
                validator.validate_cell(cell)
            except Exception as exc:  # any invalid metadata: jsonschema, schema version, types
                self.log.warning("cell %d: invalid nbgrader metadata dropped (%s)", index,
                                 str(exc).splitlines()[0][:200])
                del meta["nbgrader"]
        return nb, resources
