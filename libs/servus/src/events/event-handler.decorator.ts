import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { EVENT_HANDLER_METADATA } from '../servus.constants';

export interface EventHandlerOptions {
  /** Contract of the payload: a JSON Schema or a class-validator DTO. Checked before any invocation. */
  payload?: object;
}

export interface EventHandlerMetadata extends EventHandlerOptions {
  event: string;
}

/**
 * A class whose `@Invoke` methods run services when `event` is emitted (Servus's event
 * handlers). A Nest provider, discovered at bootstrap like services.
 *
 * @example
 * ＠EventHandler('report.generated')
 * export class ReportGeneratedHandler {
 *   ＠Invoke(NotifyUser, { async: true, queue: 'low' })
 *   notify(payload: ReportData) { return { userId: payload.userId, reportId: payload.reportId }; }
 * }
 *
 * @publicApi
 */
export function EventHandler(event: string, options: EventHandlerOptions = {}): ClassDecorator {
  if (!event) throw new TypeError('@EventHandler needs an event name');
  return applyDecorators(Injectable(), SetMetadata(EVENT_HANDLER_METADATA, { event, ...options }));
}

/** The `@EventHandler` declaration of a class, if it has one. */
export function eventHandlerOf(target: unknown): EventHandlerMetadata | undefined {
  return typeof target === 'function'
    ? (Reflect.getOwnMetadata(EVENT_HANDLER_METADATA, target) as EventHandlerMetadata | undefined)
    : undefined;
}
