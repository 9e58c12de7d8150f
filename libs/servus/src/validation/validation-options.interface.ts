/** class-validator options for DTO contracts. */
export interface ServusValidationOptions {
  /** Strip properties without decorators. Default true. */
  whitelist?: boolean;
  /** Refuse (instead of strip) properties without decorators. Default false. */
  forbidNonWhitelisted?: boolean;
  /** Refuse objects class-validator knows nothing of. Default true. */
  forbidUnknownValues?: boolean;
}

/** The part of `ServusModule.forRoot()`'s options that the contract compiler reads. */
export interface ValidationModuleOptions {
  /** Directory of file-based schemas (`<dir>/<service path>/arguments.json`). Default 'schemas/services'. */
  schemasDir?: string;
  /** How class-validator DTOs are checked. */
  validation?: ServusValidationOptions;
}
