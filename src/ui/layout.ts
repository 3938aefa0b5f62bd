/**
 * Where everything goes on screen, as arithmetic: no component ever draws more rows than the terminal has.
 */

/** The smallest terminal the dashboard draws in. */
export const MIN_COLUMNS = 80;
/** The smallest terminal the dashboard draws in. */
export const MIN_ROWS = 24;
/** From this width on, the preview sits beside the jobs table instead of under it. */
export const SIDE_PREVIEW_COLUMNS = 160;

/** The message shown instead of the dashboard in a terminal that is too small. */
export function tooSmallMessage(columns: number, rows: number): string {
  return `mission-control needs at least ${MIN_COLUMNS}x${MIN_ROWS}; this terminal is ${columns}x${rows}`;
}

/** Sizes of the dashboard's parts, in cells. Pane heights count their title lines. */
export interface Layout {
  readonly tooSmall: boolean;
  readonly width: number;
  /**
   * Lines drawn: one less than the terminal's rows. Ink repaints the whole screen (a clear) once a frame is as tall
   * as the terminal, so the last row stays empty.
   */
  readonly height: number;
  /** Worker rows shown (the pane adds a title and a column header). */
  readonly workerRows: number;
  /** Job rows shown (the table adds a title and a column header). */
  readonly jobRows: number;
  /** Lines of the preview pane below its title; 0 when there is none. */
  readonly previewLines: number;
  /** True when the preview is beside the jobs table; its width then is `previewWidth`. */
  readonly previewBeside: boolean;
  readonly previewWidth: number;
  /** Rows of a full-screen view (log, help) below its title line, between the header and the status line. */
  readonly bodyLines: number;
}

/** Lays the dashboard out for a terminal of `columns` x `rows` and a fleet of `workers` workers. */
export function computeLayout(columns: number, rows: number, workers: number, wallboard: boolean): Layout {
  const tooSmall = columns < MIN_COLUMNS || rows < MIN_ROWS;
  const width = columns;
  const height = Math.max(1, rows - 1);
  // Header, notice bar and footer take a line each.
  const panes = height - 3;
  const workerCap = wallboard ? Math.floor(panes / 3) : Math.max(1, Math.min(8, Math.floor(panes * 0.2)));
  const workerRows = Math.max(1, Math.min(workers, workerCap));
  const below = panes - (workerRows + 2) - 2;
  const previewBeside = !wallboard && columns >= SIDE_PREVIEW_COLUMNS;
  let previewLines = 0;
  let jobRows = below;
  if (!wallboard) {
    if (previewBeside) {
      previewLines = below + 1;
    } else {
      previewLines = Math.max(3, Math.floor(below * 0.4)) - 1;
      jobRows = below - previewLines - 1;
    }
  }
  return {
    tooSmall,
    width,
    height,
    workerRows,
    jobRows: Math.max(1, jobRows),
    previewLines,
    previewBeside,
    previewWidth: previewBeside ? Math.floor(columns * 0.4) : columns,
    bodyLines: Math.max(1, height - 4),
  };
}
