/** Names the item of a batch in its error (errors are fresh per call, so this mutates no one else's). */
export function atIndex(error: unknown, index: number): unknown {
  if (error instanceof Error && !error.message.startsWith('items['))
    error.message = `items[${index}]: ${error.message}`;
  return error;
}
