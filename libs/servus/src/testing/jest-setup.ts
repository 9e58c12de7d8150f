import { servusMatchers } from './matchers';

// setupFilesAfterEnv: ['nestjs-servus/testing/jest-setup'] (or 'nestjs-servus/testing/jest-setup')
expect.extend(servusMatchers);
