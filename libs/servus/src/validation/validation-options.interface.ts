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
  /**
   * Directory of file-based schemas (`<dir>/<service path>/arguments.json`). Default
   * 'schemas/services'. An absolute path is used as it is; a relative one is resolved against the
   * application root (the nearest directory with a package.json above the entry script; the
   * working directory when the entry script is a tool's inside node_modules, as jest or vitest).
   */
  schemasDir?: string;
  /**
   * 'optional' (default): services without an arguments contract run unvalidated, and the boot
   * log lists them. 'required': such a service fails the boot.
   */
  contracts?: 'optional' | 'required';
  /** How class-validator DTOs are checked. */
  validation?: ServusValidationOptions;
}
