// Errors squish reports to users: one clear line (what, where, how to fix), exit code 1.
// Anything else that escapes is an internal error (exit code 2).

export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly help?: string,
  ) {
    super(message);
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError';
}

/**
 * Text from a model or a file made safe to print: control characters (C0, DEL, C1) and the bidi
 * overrides that reorder what a terminal shows become visible escapes (\x1b, \u202e); with
 * `keepNewlines`, line breaks and tabs stay.
 */
export function printable(text: string, keepNewlines = false): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (keepNewlines && (c === '\n' || c === '\t')) return c;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}
