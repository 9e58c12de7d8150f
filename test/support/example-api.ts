import { eventually } from './redis-test-kit';

/** The body most tests post: user 1's November 2026, which has two sales. */
export const NOVEMBER_REPORT = { userId: 1, from: '2026-11-01', to: '2026-11-30' };

/** An answer of the example api, its JSON body parsed (undefined when empty). */
export interface ApiAnswer {
  status: number;
  headers: Headers;
  // The tests read whichever fields the route answers: 202 { reportId, jobId, status }, or { error }.
  body: any;
}

/** POST /reports on the example api at `base` (http://host:port). */
export async function postReport(
  base: string,
  body: unknown = NOVEMBER_REPORT,
  headers: Record<string, string> = {},
): Promise<ApiAnswer> {
  const response = await fetch(`${base}/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** What GET /reports/:id answers (apps/api/src/reports.controller.ts). */
export interface ReportView {
  id: number;
  userId: number;
  from: string;
  to: string;
  status: 'pending' | 'completed' | 'failed';
  salesCount: number | null;
  totalCents: number | null;
  currency: string;
  convertedTotalCents: number | null;
  conversionAttempts: number;
  notifiedAt: string | null;
  error: { code: string; message: string } | null;
  job: { id: string; state: string; attemptsMade: number } | null;
}

/** Polls GET /reports/:id until `done` holds for it, then returns that report; throws after `timeoutMs`, naming the last status seen. */
export async function reportWhen(
  base: string,
  id: number,
  done: (report: ReportView) => boolean,
  timeoutMs = 20_000,
): Promise<ReportView> {
  let report: ReportView | undefined;
  let last = 'no answer yet';
  try {
    await eventually(
      async () => {
        const response = await fetch(`${base}/reports/${id}`);
        const body = (await response.json()) as ReportView;
        last = `HTTP ${response.status}, status ${String(body.status)}`;
        if (response.status !== 200) return false;
        report = body;
        return done(body);
      },
      timeoutMs,
      `report ${id}`,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last: ${last})`);
  }
  return report!;
}
