/**
 * What can be wrong with an OCI image layout, whether it is found in an archive
 * (archive/layout.ts: where the layout sits among the entries) or checked on disk
 * (layout/validate.ts: the folder and the graph in it). One list, so a report reads
 * the same wherever the layout came from.
 */
export type LayoutProblemCode =
  // in an archive
  | 'UNEXPECTED'
  | 'OUTSIDE_ROOT'
  | 'BAD_BLOB_NAME'
  | 'NOT_A_FILE'
  | 'DUPLICATE'
  | 'MISSING_FILE'
  // in a folder
  | 'LAYOUT_MISSING'
  | 'LAYOUT_FILE_MISSING'
  | 'LAYOUT_FILE_INVALID'
  | 'INDEX_MISSING'
  | 'INDEX_INVALID'
  | 'BLOB_MISSING'
  | 'BLOB_SIZE_MISMATCH'
  | 'BLOB_DIGEST_MISMATCH'
  | 'MANIFEST_INVALID'
  | 'UNEXPECTED_FILE'
  | 'TEMP_FILE'
  | 'IO_ERROR';

export interface LayoutProblem {
  code: LayoutProblemCode;
  /** Relative to the layout root (in a folder) or the archive path (in an archive), `/`-separated. */
  path: string;
  message: string;
}
