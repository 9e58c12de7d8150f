/**
 * A class, whatever its constructor takes: the key under which Servus keeps services, entities
 * and handlers (a `Function` would accept any arrow function too).
 */
export type ClassRef = abstract new (...args: never[]) => unknown;
