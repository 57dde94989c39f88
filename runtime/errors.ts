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
