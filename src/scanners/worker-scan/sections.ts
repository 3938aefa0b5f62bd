/**
 * Splits a scan's output into its framed sections. Pure; never throws.
 *
 * A section is `\n<marker> BEGIN <name>\n<body>\n<marker> END <name> <status>\n`, where the marker
 * carries the scan's nonce and frames count only at the start of a line. The newline before END
 * is part of the frame, so a body that did not end with a newline is returned exactly. Sections
 * nest (the container's part sits inside `session`).
 */

/** One framed part of the output. */
export interface Section {
  readonly name: string;
  /** What the part printed, stdout and stderr together. */
  readonly body: string;
  /** The part's exit status as printed (a number, or a word such as `skipped`); undefined when the output stopped before its END. */
  readonly status: number | string | undefined;
}

/** The sections found, by name (the first of each name), and what was odd about the framing. */
export interface SplitOutput {
  readonly sections: ReadonlyMap<string, Section>;
  readonly problems: readonly string[];
}

interface Open {
  readonly name: string;
  readonly bodyStart: number;
}

/** Finds the sections framed with `marker` in `output`. */
export function splitSections(output: string, marker: string): SplitOutput {
  const sections = new Map<string, Section>();
  const problems: string[] = [];
  const stack: Open[] = [];
  const add = (section: Section): void => {
    if (sections.has(section.name)) problems.push(`section ${section.name} appears more than once; the first is used`);
    else sections.set(section.name, section);
  };
  const frame = new RegExp(`(^|\\n)${escapeRegExp(marker)} (BEGIN|END) ([^ \\n]+)(?: ([^ \\n]+))?(?=\\n|$)`, 'g');
  for (const match of output.matchAll(frame)) {
    const lineStart = match.index + (match[1] ?? '').length;
    const lineEnd = lineStart + match[0].length - (match[1] ?? '').length;
    const name = match[3] ?? '';
    if (match[2] === 'BEGIN') {
      stack.push({ name, bodyStart: Math.min(lineEnd + 1, output.length) });
      continue;
    }
    const at = findLast(stack, name);
    if (at < 0) {
      problems.push(`section ${name} ends without beginning`);
      continue;
    }
    // The END line's own leading newline is the frame's; a body can never be shorter than empty.
    const bodyEnd = Math.max(match.index, stack[at]?.bodyStart ?? 0);
    while (stack.length > at + 1) {
      const inner = stack.pop();
      if (inner) unterminated(inner, bodyEnd);
    }
    const open = stack.pop();
    if (open) add({ name, body: output.slice(open.bodyStart, bodyEnd), status: parseStatus(match[4]) });
  }
  while (stack.length > 0) {
    const open = stack.pop();
    if (open) unterminated(open, output.length);
  }
  return { sections, problems };

  function unterminated(open: Open, end: number): void {
    problems.push(`section ${open.name} was cut short`);
    add({ name: open.name, body: output.slice(open.bodyStart, Math.max(end, open.bodyStart)), status: undefined });
  }
}

function parseStatus(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  return /^\d{1,3}$/.test(text) ? Number(text) : text;
}

function findLast(stack: readonly Open[], name: string): number {
  for (let i = stack.length - 1; i >= 0; i--) if (stack[i]?.name === name) return i;
  return -1;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
