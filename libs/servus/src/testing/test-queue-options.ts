/** How the test queue handles `callAsync`. */
export interface TestQueueOptions {
  /** 'fake' (default): callAsync records; perform/drain runs. 'inline': callAsync runs the service at once. */
  async?: 'fake' | 'inline';
}

/** Injection token of the TestQueueOptions, provided by ServusTestingModule. */
export const SERVUS_TESTING_OPTIONS = Symbol('SERVUS_TESTING_OPTIONS');
