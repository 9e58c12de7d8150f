/** Where file-based schemas live unless `schemasDir` says otherwise (relative to the working directory). */
export const DEFAULT_SCHEMAS_DIR = 'schemas/services';

/**
 * Where a service's schema files live under `schemasDir`, as in Servus:
 * 'reports.generate' -> reports/generate/arguments.json; 'GenerateReport' -> generate_report/arguments.json.
 */
export function schemaFile(service: string, which: 'arguments' | 'result'): string {
  const path = service
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase())
    .join('/');
  return `${path}/${which}.json`;
}
