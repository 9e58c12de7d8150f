import { join } from 'node:path';
import * as ts from 'typescript';

/**
 * The names each entry of the package exports, values and types alike, as the TypeScript
 * compiler sees them. A change to the public surface shows here as a diff: review it as an API change.
 */
const ENTRIES = {
  'nestjs-servus': 'index.ts',
  'nestjs-servus/extend': 'extend.ts',
  'nestjs-servus/testing': 'testing/index.ts',
  'nestjs-servus/metrics': 'metrics/index.ts',
  'nestjs-servus/health': 'health/index.ts',
  'nestjs-servus/dashboard': 'dashboard/index.ts',
} as const;

/** The repository's compiler options (paths, decorators), so the entries resolve as they build. */
function compilerOptions(): ts.CompilerOptions {
  const file = join(__dirname, '..', '..', '..', 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    file,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  return { ...parsed!.options, noEmit: true };
}

interface Surface {
  names: Record<keyof typeof ENTRIES, string[]>;
  /** Public members of an exported class of the main entry (instance members, then `static x`). */
  members(className: string): string[];
}

function surface(): Surface {
  const files = Object.values(ENTRIES).map((file) => join(__dirname, file));
  const program = ts.createProgram(files, compilerOptions());
  const checker = program.getTypeChecker();
  const result = {} as Record<keyof typeof ENTRIES, string[]>;
  const main = checker.getSymbolAtLocation(program.getSourceFile(files[0])!)!;
  const isPublic = (member: ts.Symbol) =>
    !(
      member.valueDeclaration &&
      ts.getCombinedModifierFlags(member.valueDeclaration) & ts.ModifierFlags.NonPublicAccessibilityModifier
    );
  const members = (className: string) => {
    const exported = checker.getExportsOfModule(main).find((symbol) => symbol.name === className)!;
    const declaration = checker.getAliasedSymbol(exported).valueDeclaration!;
    const instance = checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(exported));
    const statics = checker.getTypeOfSymbolAtLocation(checker.getAliasedSymbol(exported), declaration);
    return [
      ...checker
        .getPropertiesOfType(instance)
        .filter(isPublic)
        .map((member) => member.name),
      ...checker
        .getPropertiesOfType(statics)
        .filter((member) => member.name !== 'prototype' && isPublic(member))
        .map((member) => `static ${member.name}`),
    ].sort();
  };
  for (const [entry, file] of Object.entries(ENTRIES) as [keyof typeof ENTRIES, string][]) {
    const source = program.getSourceFile(join(__dirname, file))!;
    const symbol = checker.getSymbolAtLocation(source)!;
    result[entry] = checker
      .getExportsOfModule(symbol)
      .map((exported) => exported.name)
      .sort();
  }
  return { names: result, members };
}

describe('public surface', () => {
  const { names, members } = surface();

  it('nestjs-servus: what an application writes with (about 50 names)', () => {
    expect(names['nestjs-servus']).toEqual(MAIN);
    expect(names['nestjs-servus'].length).toBeLessThanOrEqual(55);
  });

  it('nestjs-servus/extend: the extension points', () => {
    expect(names['nestjs-servus/extend']).toEqual(EXTEND);
  });

  it('nestjs-servus/testing, /metrics, /health, /dashboard', () => {
    expect(names['nestjs-servus/testing']).toEqual(TESTING);
    expect(names['nestjs-servus/metrics']).toEqual(METRICS);
    expect(names['nestjs-servus/health']).toEqual(HEALTH);
    expect(names['nestjs-servus/dashboard']).toEqual(DASHBOARD);
  });

  it('ServusExecutor and ServusModule expose what users call, not how they resolve or build', () => {
    expect(members('ServusExecutor')).toEqual([
      'call',
      'callAsync',
      'callAsyncMany',
      'cancel',
      'result',
      'schedule',
      'schedules',
      'status',
      'unschedule',
    ]);
    expect(members('ServusModule')).toEqual(['static forRoot', 'static forRootAsync']);
  });

  it('keeps internals out of every entry', () => {
    const all = Object.values(names).flat();
    for (const internal of [
      'MAX_PRIORITY',
      'GID_PREFIX',
      'SERVUS_MODULE_OPTIONS',
      'ServusMetadataAccessor',
      'ServusExplorer',
      'servusModule',
    ])
      expect(all).not.toContain(internal);
  });
});

const MAIN = [
  'AsyncCall',
  'AsyncError',
  'AsyncJobStatus',
  'AsyncReceipt',
  'AuthenticationError',
  'BadRequestError',
  'CallAsyncOptions',
  'CallContext',
  'CancelResult',
  'Emits',
  'EventHandler',
  'FailureResponse',
  'ForbiddenError',
  'IdempotencyConflictError',
  'InternalServerError',
  'Invoke',
  'JobEnqueueError',
  'JobRef',
  'Locator',
  'NotFoundError',
  'RescueFrom',
  'RunServusWorkerOptions',
  'ScheduleInfo',
  'ScheduleOptions',
  'Service',
  'ServiceBase',
  'ServiceError',
  'ServiceNotFoundError',
  'ServiceOptions',
  'ServiceResponse',
  'ServiceTimeoutError',
  'ServiceUnavailableError',
  'ServusContext',
  'ServusEvents',
  'ServusEventsOptions',
  'ServusExecutor',
  'ServusHttpModule',
  'ServusLoggingOptions',
  'ServusModule',
  'ServusModuleAsyncOptions',
  'ServusModuleOptions',
  'ServusOptionsFactory',
  'ServusOutboxMigration1764633600000',
  'ServusValidationOptions',
  'ServusWorkerOptions',
  'SuccessResponse',
  'TypeOrmOutboxStore',
  'UnauthorizedError',
  'UnprocessableEntityError',
  'ValidationError',
  'runServusWorker',
  'servusContextMiddleware',
];
const EXTEND = [
  'ASYNC_DISPATCHER',
  'ArgsOf',
  'AsyncDispatcher',
  'CallObservation',
  'ContextValues',
  'Contract',
  'DEFAULT_REDACT_KEYS',
  'DataOf',
  'DataSourceLike',
  'DuplicateErrorTypeError',
  'DuplicateServiceNameError',
  'EmitPayload',
  'EmitReport',
  'EmitTrigger',
  'EmitsOptions',
  'EntityLocator',
  'EntityNotFoundError',
  'ErrorBody',
  'ErrorClass',
  'EventEmitError',
  'EventHandlerOptions',
  'EventInvocationsError',
  'InvalidSchemaError',
  'InvocationOutcome',
  'InvokeOptions',
  'JOB_STATES',
  'JobObservation',
  'OutboxEntry',
  'OutboxListener',
  'OutboxRelayOptions',
  'OutboxRelayState',
  'OutboxRelayStatus',
  'OutboxRow',
  'OutboxStats',
  'OutboxStore',
  'ParkedRow',
  'PreparedCall',
  'QueueConsumerState',
  'QueueJobCounts',
  'REDACTED',
  'RedisClusterConnection',
  'RescueContext',
  'RescueHandler',
  'SERVUS_TRACER',
  'SerializedResponse',
  'SerializedServiceError',
  'ServiceAsyncOptions',
  'ServiceDefinition',
  'ServiceErrorFilter',
  'ServiceErrorOptions',
  'ServiceErrorType',
  'ServiceRegistry',
  'ServiceResponseInterceptor',
  'ServusBullmqOptions',
  'ServusContextMiddlewareOptions',
  'ServusObserver',
  'ServusObservers',
  'ServusOutboxOptions',
  'ServusTracing',
  'ServusWorker',
  'TraceCarrier',
  'TypeOrmEntityLocator',
  'ValidationDetail',
  'registerErrorType',
];
const TESTING = [
  'EnqueuedCall',
  'ServusMatchers',
  'ServusTestQueue',
  'ServusTestingModule',
  'ServusTestingOptions',
  'argumentsExample',
  'resultExample',
  'servusMatchers',
];
const METRICS = ['DEFAULT_DURATION_BUCKETS', 'ServusMetrics', 'ServusMetricsModule', 'ServusMetricsOptions'];
const HEALTH = ['ServusHealthIndicator', 'ServusHealthModule', 'ServusHealthOptions'];
const DASHBOARD = [
  'DASHBOARD_REALM',
  'DEFAULT_DASHBOARD_ROUTE',
  'DashboardMiddleware',
  'ServusDashboardAsyncOptions',
  'ServusDashboardFeatureOptions',
  'ServusDashboardModule',
  'ServusDashboardOptions',
  'basicAuthMiddleware',
];
