import { EMITS_METADATA } from '../servus.constants';
import { EmitConfig, EmitsOptions } from '../service/emit-config';

export { EmitConfig, EmitPayload, EmitsOptions, EmitTrigger } from '../service/emit-config';

/**
 * Declares an event the service emits after a call (Servus's `emits`). Repeatable.
 * Default payload: the data on 'success', the error on 'failure' and 'error'.
 * 'error' fires when the service raises or throws, before the exception propagates.
 *
 * @example
 * ＠Emits('report.generated', { on: 'success' })
 * ＠Emits('report.failed', { on: 'failure', payload: (response, args) => ({ userId: args.userId, code: response.error.code }) })
 *
 * @publicApi
 */
export function Emits(event: string, options: EmitsOptions): ClassDecorator {
  if (!event) throw new TypeError('@Emits needs an event name');
  if (!['success', 'failure', 'error'].includes(options?.on)) {
    throw new TypeError(
      `@Emits('${event}'): 'on' must be 'success', 'failure' or 'error', got ${JSON.stringify(options?.on)}`,
    );
  }
  const config: EmitConfig = { event, on: options.on, payload: options.payload };
  return (target) => {
    // Decorators apply bottom-up: prepend to keep declaration order.
    const own = (Reflect.getOwnMetadata(EMITS_METADATA, target) as EmitConfig[] | undefined) ?? [];
    Reflect.defineMetadata(EMITS_METADATA, [config, ...own], target);
  };
}
