/**
 * The one way text reaches the screen: every component draws through this `Text`, never through Ink's (a test
 * guards that), and every string it is given is sanitized here, whoever made it. A notice built from a job's key,
 * a worker's error or a job's command cannot drive the terminal, whether or not its call site remembered.
 */
import { Text as InkText } from 'ink';
import React from 'react';
import { sanitizeBlock, sanitizeLine } from '../text/sanitize.js';

/** The props of {@link Text}: Ink's, plus `keepColor` for lines of a pane capture or log (their SGR colours stay). */
export type TextProps = Omit<React.ComponentProps<typeof InkText>, 'children'> & {
  readonly keepColor?: boolean;
  readonly children?: React.ReactNode;
};

/** Ink's `Text` with every string child sanitized (one line; with `keepColor`, colours kept and nothing else). */
export function Text({ keepColor, children, ...props }: TextProps): React.JSX.Element {
  const clean = (text: string) => (keepColor ? sanitizeBlock(text, { keepColor: true }) : sanitizeLine(text));
  return <InkText {...props}>{React.Children.map(children, (child) => safeChild(child, clean))}</InkText>;
}

function safeChild(child: React.ReactNode, clean: (text: string) => string): React.ReactNode {
  if (typeof child === 'string') return clean(child);
  if (typeof child === 'number' || typeof child === 'bigint') return clean(String(child));
  // A fragment's strings are this Text's strings; other elements pass as they are (the only text element a
  // component can make is this one).
  if (React.isValidElement<{ children?: React.ReactNode }>(child) && child.type === React.Fragment) {
    return React.Children.map(child.props.children, (inner) => safeChild(inner, clean));
  }
  return child;
}
