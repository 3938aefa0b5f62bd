/**
 * Pure selection arithmetic for a list shown in a window of rows: where the cursor is once the list changed
 * under it, and which row is at the top so the cursor stays in view.
 */

/** The cursor's row: the selected key's row if it is still listed, else the old row clamped to the list. */
export function resolveCursor(keys: readonly string[], selectedKey: string | undefined, hint: number): number {
  if (keys.length === 0) return 0;
  if (selectedKey !== undefined) {
    if (keys[hint] === selectedKey) return hint;
    const index = keys.indexOf(selectedKey);
    if (index >= 0) return index;
  }
  return clamp(hint, 0, keys.length - 1);
}

/** The first visible row: `top` moved as little as needed to keep `cursor` within `height` rows, never past the end. */
export function scrollTop(top: number, cursor: number, height: number, total: number): number {
  if (height <= 0 || total <= height) return 0;
  let next = top;
  if (cursor < next) next = cursor;
  if (cursor >= next + height) next = cursor - height + 1;
  return clamp(next, 0, total - height);
}

/** `value` limited to [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), Math.max(min, max));
}
