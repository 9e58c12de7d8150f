import { ModuleMetadata } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { ServusModule, ServusModuleOptions } from 'nestjs-servus';

/** A compiled testing module of `ServusModule.forRoot({ logging: false, ...options })` beside `imports`. */
export function compileServus(
  options: ServusModuleOptions,
  imports: NonNullable<ModuleMetadata['imports']> = [],
): Promise<TestingModule> {
  return Test.createTestingModule({
    imports: [ServusModule.forRoot({ logging: false, ...options }), ...imports],
  }).compile();
}

/**
 * `compileServus`, initialised: the app context a spec calls through. The caller closes it (afterEach/afterAll);
 * `ServusExecutor` and the spec's providers come from `get`.
 */
export async function bootServus(
  options: ServusModuleOptions,
  imports: NonNullable<ModuleMetadata['imports']> = [],
): Promise<TestingModule> {
  return (await compileServus(options, imports)).init();
}
