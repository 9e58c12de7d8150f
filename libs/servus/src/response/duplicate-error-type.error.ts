/**
 * Thrown by `registerErrorType` when another class already holds the name: async results are
 * rebuilt by name, so the second class would silently take over (a built-in included).
 * It surfaces where the application registers its types, at load time.
 */
export class DuplicateErrorTypeError extends Error {
  constructor(name: string, registered: string, refused: string) {
    super(
      `Cannot register ${refused} as error type "${name}": that name is taken by ${registered}. ` +
        'Async results are rebuilt by name: give the class a distinct name.',
    );
    this.name = 'DuplicateErrorTypeError';
  }
}
