/**
 * How a process reaches its SQL database. Built once from the app settings (`ETL_SQL_*`) by the
 * runtime's wiring place and passed to `openEtlStore`.
 */
export type SqlConfig =
  | {
      readonly driver: 'sqlite';
      /** Database file; several processes may share it (WAL mode). */
      readonly path: string;
    }
  | {
      readonly driver: 'mssql';
      /** Host name, e.g. `etl-sql.database.windows.net`. */
      readonly server: string;
      readonly database: string;
      /** `managed-identity`: Microsoft Entra with the process's identity; `connection-string`: local or tests only. */
      readonly auth: 'managed-identity' | 'connection-string';
      /** Client id of a user-assigned managed identity (absent: system-assigned or developer login). */
      readonly clientId?: string;
      readonly connectionString?: string;
      /** Largest connection pool of this process. */
      readonly poolMax: number;
    };
