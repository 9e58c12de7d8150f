import { servusMatchers, ServusMatchers } from './matchers';

/*
 * Jest: `setupFilesAfterEnv: ['nestjs-servus/testing/jest-setup']` registers the matchers; the
 * declaration below gives their types to `@types/jest`'s `expect` (add
 * 'nestjs-servus/testing/jest-setup' to tsconfig's `types`, or import it once in a spec).
 */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
    interface Matchers<R, T = {}> extends ServusMatchers<R> {}
  }
}

expect.extend(servusMatchers);
