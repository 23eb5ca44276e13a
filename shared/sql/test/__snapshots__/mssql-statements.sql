-- session.xact_abort
-- parameters: none
-- parsed by node-sql-parser: yes
SET XACT_ABORT ON
GO

-- migrate.lock
-- parameters: @resource NVARCHAR(255), @mode NVARCHAR(32), @owner NVARCHAR(32), @timeoutMs INT
-- parsed by node-sql-parser: no (reviewed by hand)
DECLARE @granted INT;
EXEC @granted = sp_getapplock @Resource = @resource, @LockMode = @mode, @LockOwner = @owner, @LockTimeout = @timeoutMs;
IF @granted < 0 THROW 51000, N'schema migration lock not granted', 1
GO

-- migrate.create.etl_schema_version
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: no (reviewed by hand)
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [etl_schema_version] (
  [version] INT NOT NULL CONSTRAINT [etl_schema_version_pk] PRIMARY KEY,
  [description] NVARCHAR(400) NOT NULL,
  [applied_at] DATETIME2(3) NOT NULL
)
GO

-- migrate.select_versions
-- parameters: none
-- parsed by node-sql-parser: yes
SELECT [version] FROM [etl_schema_version]
GO

-- migrate.insert_version
-- parameters: @version INT, @description NVARCHAR(400), @at DATETIME2(3)
-- parsed by node-sql-parser: yes
INSERT INTO [etl_schema_version] ([version], [description], [applied_at]) VALUES (@version, @description, @at)
GO

-- migrate.register_dataset
-- parameters: @dataset NVARCHAR(63), @version INT, @at DATETIME2(3)
-- parsed by node-sql-parser: no (reviewed by hand)
UPDATE [etl_datasets] SET [version] = @version, [migrated_at] = @at WHERE [dataset] = @dataset;
IF @@ROWCOUNT = 0 INSERT INTO [etl_datasets] ([dataset], [version], [migrated_at]) VALUES (@dataset, @version, @at)
GO

-- migration1.create.etl_files
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: no (reviewed by hand)
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [etl_files] (
  [file_id] NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT [etl_files_pk] PRIMARY KEY,
  [dataset] NVARCHAR(63) NOT NULL,
  [blob_name] NVARCHAR(1024) NOT NULL,
  [blob_etag] NVARCHAR(128) NOT NULL,
  [state] NVARCHAR(16) NOT NULL,
  [total_rows] BIGINT NOT NULL DEFAULT 0,
  [valid_rows] BIGINT NOT NULL DEFAULT 0,
  [rejected_rows] BIGINT NOT NULL DEFAULT 0,
  [transform_rejected_rows] BIGINT NOT NULL DEFAULT 0,
  [loaded_rows] BIGINT NOT NULL DEFAULT 0,
  [duplicate_rows] BIGINT NOT NULL DEFAULT 0,
  [chunks] INT NOT NULL DEFAULT 0,
  [chunks_loaded] INT NOT NULL DEFAULT 0,
  [chunks_dead_lettered] INT NOT NULL DEFAULT 0,
  [error] NVARCHAR(4000) NULL,
  [received_at] DATETIME2(3) NOT NULL,
  [extracted_at] DATETIME2(3) NULL,
  [completed_at] DATETIME2(3) NULL,
  [updated_at] DATETIME2(3) NOT NULL
)
GO

-- migration1.create.etl_files_by_state
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = @name)
CREATE INDEX [etl_files_by_state] ON [etl_files] ([state], [dataset], [received_at])
GO

-- migration1.create.etl_ledger
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [etl_ledger] (
  [stage] NVARCHAR(16) NOT NULL,
  [id] NVARCHAR(800) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [applied_at] DATETIME2(3) NOT NULL,
  CONSTRAINT [etl_ledger_pk] PRIMARY KEY NONCLUSTERED ([stage], [id])
)
GO

-- migration1.create.etl_outbox
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: no (reviewed by hand)
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [etl_outbox] (
  [seq] BIGINT IDENTITY(1, 1) NOT NULL CONSTRAINT [etl_outbox_pk] PRIMARY KEY CLUSTERED,
  [id] NVARCHAR(800) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT [etl_outbox_id] UNIQUE NONCLUSTERED,
  [destination] NVARCHAR(200) NOT NULL,
  [partition_key] NVARCHAR(400) NOT NULL,
  [body] NVARCHAR(MAX) NOT NULL,
  [created_at] DATETIME2(3) NOT NULL,
  [published_at] DATETIME2(3) NULL
)
GO

-- migration1.create.etl_outbox_unpublished
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = @name)
CREATE INDEX [etl_outbox_unpublished] ON [etl_outbox] ([seq]) WHERE [published_at] IS NULL
GO

-- migration1.create.etl_datasets
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: no (reviewed by hand)
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [etl_datasets] (
  [dataset] NVARCHAR(63) NOT NULL CONSTRAINT [etl_datasets_pk] PRIMARY KEY,
  [version] INT NOT NULL,
  [migrated_at] DATETIME2(3) NOT NULL
)
GO

-- migration2.create.etl_dead_letters
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: no (reviewed by hand)
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [etl_dead_letters] (
  [id] NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT [etl_dead_letters_pk] PRIMARY KEY,
  [stage] NVARCHAR(16) NOT NULL,
  [source] NVARCHAR(200) NOT NULL,
  [dataset] NVARCHAR(63) NULL,
  [file_id] NVARCHAR(400) NULL,
  [partition_key] NVARCHAR(400) NULL,
  [body] NVARCHAR(MAX) NOT NULL,
  [properties] NVARCHAR(MAX) NOT NULL,
  [error] NVARCHAR(MAX) NOT NULL,
  [attempts] INT NOT NULL,
  [failed_at] DATETIME2(3) NOT NULL,
  [replayed_at] DATETIME2(3) NULL
)
GO

-- migration2.create.etl_dead_letters_by_stage
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = @name)
CREATE INDEX [etl_dead_letters_by_stage] ON [etl_dead_letters] ([stage], [failed_at])
GO

-- migration3.drop.etl_dead_letters
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
DROP TABLE [etl_dead_letters]
GO

-- migration4.drop.transform_rejected_rows
-- parameters: @name NVARCHAR(128), @table NVARCHAR(128)
-- parsed by node-sql-parser: no (reviewed by hand)
DECLARE @constraint SYSNAME;
DECLARE @drop NVARCHAR(600);
IF EXISTS (SELECT 1 FROM sys.columns AS c JOIN sys.tables AS t ON t.object_id = c.object_id
  WHERE t.name = @table AND t.schema_id = SCHEMA_ID() AND c.name = @name)
BEGIN
  SELECT @constraint = d.name FROM sys.default_constraints AS d
    JOIN sys.tables AS t ON t.object_id = d.parent_object_id
    JOIN sys.columns AS c ON c.object_id = d.parent_object_id AND c.column_id = d.parent_column_id
    WHERE t.name = @table AND t.schema_id = SCHEMA_ID() AND c.name = @name;
  IF @constraint IS NOT NULL
  BEGIN
    SET @drop = N'ALTER TABLE ' + QUOTENAME(@table) + N' DROP CONSTRAINT ' + QUOTENAME(@constraint);
    EXEC sp_executesql @drop;
  END;
  ALTER TABLE [etl_files] DROP COLUMN [transform_rejected_rows];
END
GO

-- claim_ledger
-- parameters: @stage NVARCHAR(16), @id NVARCHAR(800), @at DATETIME2(3)
-- parsed by node-sql-parser: yes
INSERT INTO [etl_ledger] ([stage], [id], [applied_at])
SELECT @stage, @id, @at
WHERE NOT EXISTS (SELECT 1 FROM [etl_ledger] WITH (UPDLOCK, HOLDLOCK) WHERE [stage] = @stage AND [id] = @id)
GO

-- claim_ledger_many
-- parameters: @stage NVARCHAR(16), @ids NVARCHAR(MAX), @at DATETIME2(3)
-- parsed by node-sql-parser: no (reviewed by hand)
INSERT INTO [etl_ledger] ([stage], [id], [applied_at])
OUTPUT inserted.[id]
SELECT @stage, c.[id], @at
FROM OPENJSON(@ids) WITH ([id] NVARCHAR(800) '$.id') AS c
WHERE NOT EXISTS (SELECT 1 FROM [etl_ledger] AS l WITH (UPDLOCK, HOLDLOCK) WHERE l.[stage] = @stage AND l.[id] = c.[id] COLLATE Latin1_General_100_BIN2)
GO

-- select_file
-- parameters: @fileId NVARCHAR(400)
-- parsed by node-sql-parser: yes
SELECT [file_id], [dataset], [blob_name], [blob_etag], [state], [total_rows], [valid_rows], [rejected_rows], [loaded_rows], [duplicate_rows], [chunks], [chunks_loaded], [chunks_dead_lettered], [error], [received_at], [extracted_at], [completed_at], [updated_at] FROM [etl_files] WHERE [file_id] = @fileId
GO

-- begin_file
-- parameters: @fileId NVARCHAR(400), @dataset NVARCHAR(63), @blobName NVARCHAR(1024), @blobEtag NVARCHAR(128), @receivedAt DATETIME2(3)
-- parsed by node-sql-parser: yes
INSERT INTO [etl_files] ([file_id], [dataset], [blob_name], [blob_etag], [state], [received_at], [updated_at])
SELECT @fileId, @dataset, @blobName, @blobEtag, N'extracting', @receivedAt, @receivedAt
WHERE NOT EXISTS (SELECT 1 FROM [etl_files] WITH (UPDLOCK, HOLDLOCK) WHERE [file_id] = @fileId)
GO

-- finish_extract
-- parameters: @total BIGINT, @valid BIGINT, @rejected BIGINT, @chunks INT, @at DATETIME2(3), @fileId NVARCHAR(400)
-- parsed by node-sql-parser: yes
UPDATE [etl_files] SET [total_rows] = @total, [valid_rows] = @valid, [rejected_rows] = @rejected, [chunks] = @chunks,
  [extracted_at] = @at, [updated_at] = @at,
  [state] = CASE WHEN [chunks_loaded] >= @chunks THEN N'complete' ELSE N'loading' END,
  [completed_at] = CASE WHEN [chunks_loaded] >= @chunks THEN COALESCE([completed_at], @at) ELSE NULL END
WHERE [file_id] = @fileId
GO

-- chunk_loaded
-- parameters: @loaded BIGINT, @duplicates BIGINT, @chunks INT, @at DATETIME2(3), @fileId NVARCHAR(400)
-- parsed by node-sql-parser: yes
UPDATE [etl_files] SET [loaded_rows] = [loaded_rows] + @loaded, [duplicate_rows] = [duplicate_rows] + @duplicates,
  [chunks_loaded] = [chunks_loaded] + @chunks, [updated_at] = @at,
  [state] = CASE WHEN [state] = N'loading' AND [extracted_at] IS NOT NULL AND [chunks_loaded] + @chunks >= [chunks] THEN N'complete' ELSE [state] END,
  [completed_at] = CASE WHEN [state] = N'loading' AND [extracted_at] IS NOT NULL AND [chunks_loaded] + @chunks >= [chunks] THEN @at ELSE [completed_at] END
WHERE [file_id] = @fileId
GO

-- fail_file
-- parameters: @error NVARCHAR(4000), @at DATETIME2(3), @fileId NVARCHAR(400)
-- parsed by node-sql-parser: yes
UPDATE [etl_files] SET [state] = N'failed', [error] = @error, [updated_at] = @at WHERE [file_id] = @fileId
GO

-- touch_extracting
-- parameters: @at DATETIME2(3), @staleBefore DATETIME2(3), @fileId NVARCHAR(400)
-- parsed by node-sql-parser: yes
UPDATE [etl_files] SET [updated_at] = @at
WHERE [file_id] = @fileId AND [state] = N'extracting' AND (@staleBefore IS NULL OR [updated_at] < @staleBefore)
GO

-- add_dead_lettered
-- parameters: @delta INT, @at DATETIME2(3), @fileId NVARCHAR(400)
-- parsed by node-sql-parser: yes
UPDATE [etl_files] SET [chunks_dead_lettered] = [chunks_dead_lettered] + @delta, [updated_at] = @at WHERE [file_id] = @fileId
GO

-- list_files
-- parameters: @limit INT, @state NVARCHAR(16), @dataset NVARCHAR(63), @updatedBefore DATETIME2(3)
-- parsed by node-sql-parser: yes
SELECT TOP (@limit) [file_id], [dataset], [blob_name], [blob_etag], [state], [total_rows], [valid_rows], [rejected_rows], [loaded_rows], [duplicate_rows], [chunks], [chunks_loaded], [chunks_dead_lettered], [error], [received_at], [extracted_at], [completed_at], [updated_at] FROM [etl_files]
WHERE (@state IS NULL OR [state] = @state) AND (@dataset IS NULL OR [dataset] = @dataset)
AND (@updatedBefore IS NULL OR [updated_at] < @updatedBefore)
ORDER BY [received_at] DESC, [file_id]
GO

-- insert_outbox
-- parameters: @messages NVARCHAR(MAX), @at DATETIME2(3)
-- parsed by node-sql-parser: no (reviewed by hand)
INSERT INTO [etl_outbox] ([id], [destination], [partition_key], [body], [created_at])
OUTPUT inserted.[id]
SELECT m.[id], m.[destination], m.[partition_key], m.[body], @at
FROM OPENJSON(@messages) WITH ([id] NVARCHAR(800) '$.id', [destination] NVARCHAR(200) '$.destination', [partition_key] NVARCHAR(400) '$.partitionKey', [body] NVARCHAR(MAX) '$.body') AS m
WHERE NOT EXISTS (SELECT 1 FROM [etl_outbox] AS o WITH (UPDLOCK, HOLDLOCK) WHERE o.[id] = m.[id] COLLATE Latin1_General_100_BIN2)
GO

-- list_unpublished
-- parameters: @limit INT
-- parsed by node-sql-parser: yes
SELECT TOP (@limit) [id], [destination], [partition_key], [body], [created_at] FROM [etl_outbox]
WHERE [published_at] IS NULL ORDER BY [seq]
GO

-- mark_published
-- parameters: @at DATETIME2(3), @ids NVARCHAR(MAX)
-- parsed by node-sql-parser: yes
UPDATE [etl_outbox] SET [published_at] = @at
WHERE [published_at] IS NULL AND [id] IN (SELECT [value] COLLATE Latin1_General_100_BIN2 FROM OPENJSON(@ids))
GO

-- iot_events.create.iot_events_facts
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [iot_events_facts] (
  [event_id] NVARCHAR(36) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [device_id] NVARCHAR(64) NOT NULL,
  [device_type] NVARCHAR(11) NOT NULL,
  [timestamp] DATETIME2(3) NOT NULL,
  [event_duration] FLOAT NOT NULL,
  [value] FLOAT NOT NULL,
  [status] NVARCHAR(8) NOT NULL,
  [location] NVARCHAR(256) NULL,
  [firmware] NVARCHAR(256) NULL,
  [event_date] DATE NOT NULL,
  [event_hour] BIGINT NOT NULL,
  [window_start] DATETIME2(3) NOT NULL,
  [file_id] NVARCHAR(400) NOT NULL,
  [row_number] BIGINT NOT NULL,
  CONSTRAINT [iot_events_facts_pk] PRIMARY KEY NONCLUSTERED ([event_id])
)
GO

-- iot_events.create.iot_events_facts_by_window
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = @name)
CREATE CLUSTERED INDEX [iot_events_facts_by_window] ON [iot_events_facts] ([window_start])
GO

-- iot_events.create.iot_events_facts_rows
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: no (reviewed by hand)
IF NOT EXISTS (SELECT 1 FROM sys.types WHERE name = @name AND is_table_type = 1 AND schema_id = SCHEMA_ID())
CREATE TYPE [iot_events_facts_rows] AS TABLE (
  [event_id] NVARCHAR(36) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [device_id] NVARCHAR(64) NOT NULL,
  [device_type] NVARCHAR(11) NOT NULL,
  [timestamp] DATETIME2(3) NOT NULL,
  [event_duration] FLOAT NOT NULL,
  [value] FLOAT NOT NULL,
  [status] NVARCHAR(8) NOT NULL,
  [location] NVARCHAR(256) NULL,
  [firmware] NVARCHAR(256) NULL,
  [event_date] DATE NOT NULL,
  [event_hour] BIGINT NOT NULL,
  [window_start] DATETIME2(3) NOT NULL,
  [file_id] NVARCHAR(400) NOT NULL,
  [row_number] BIGINT NOT NULL,
  PRIMARY KEY ([event_id])
)
GO

-- iot_events.create.iot_events_facts_by_day
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = @name)
CREATE INDEX [iot_events_facts_by_day] ON [iot_events_facts] ([event_date], [device_type]) INCLUDE ([event_duration])
GO

-- iot_events.create.iot_events_windows_1m
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [iot_events_windows_1m] (
  [window_start] DATETIME2(3) NOT NULL,
  [dimension_key] NVARCHAR(11) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [count] BIGINT NOT NULL,
  [device_type] NVARCHAR(11) NOT NULL,
  [event_duration_count] BIGINT NOT NULL,
  [event_duration_sum] FLOAT NOT NULL,
  [event_duration_sum_of_squares] FLOAT NOT NULL,
  [event_duration_min] FLOAT NULL,
  [event_duration_max] FLOAT NULL,
  [value_count] BIGINT NOT NULL,
  [value_sum] FLOAT NOT NULL,
  [value_sum_of_squares] FLOAT NOT NULL,
  [value_min] FLOAT NULL,
  [value_max] FLOAT NULL,
  [event_duration_sketch] NVARCHAR(MAX) NULL,
  [updated_at] DATETIME2(3) NOT NULL,
  CONSTRAINT [iot_events_windows_1m_pk] PRIMARY KEY CLUSTERED ([window_start], [dimension_key])
)
GO

-- iot_events.insert_facts
-- parameters: @rows iot_events_facts_rows READONLY
-- parsed by node-sql-parser: no (reviewed by hand)
INSERT INTO [iot_events_facts] ([event_id], [device_id], [device_type], [timestamp], [event_duration], [value], [status], [location], [firmware], [event_date], [event_hour], [window_start], [file_id], [row_number])
OUTPUT inserted.[event_id]
SELECT r.[event_id], r.[device_id], r.[device_type], r.[timestamp], r.[event_duration], r.[value], r.[status], r.[location], r.[firmware], r.[event_date], r.[event_hour], r.[window_start], r.[file_id], r.[row_number] FROM @rows AS r
WHERE NOT EXISTS (SELECT 1 FROM [iot_events_facts] AS f WITH (UPDLOCK, HOLDLOCK) WHERE f.[event_id] = r.[event_id])
GO

-- iot_events.select_window_for_update
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(11)
-- parsed by node-sql-parser: yes
SELECT [window_start], [dimension_key], [count], [device_type], [event_duration_count], [event_duration_sum], [event_duration_sum_of_squares], [event_duration_min], [event_duration_max], [value_count], [value_sum], [value_sum_of_squares], [value_min], [value_max], [event_duration_sketch], [updated_at] FROM [iot_events_windows_1m] WITH (UPDLOCK, HOLDLOCK) WHERE [window_start] = @w0 AND [dimension_key] = @w1
GO

-- iot_events.insert_window
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(11), @w2 BIGINT, @w3 NVARCHAR(11), @w4 BIGINT, @w5 FLOAT, @w6 FLOAT, @w7 FLOAT, @w8 FLOAT, @w9 BIGINT, @w10 FLOAT, @w11 FLOAT, @w12 FLOAT, @w13 FLOAT, @w14 NVARCHAR(MAX), @w15 DATETIME2(3)
-- parsed by node-sql-parser: yes
INSERT INTO [iot_events_windows_1m] ([window_start], [dimension_key], [count], [device_type], [event_duration_count], [event_duration_sum], [event_duration_sum_of_squares], [event_duration_min], [event_duration_max], [value_count], [value_sum], [value_sum_of_squares], [value_min], [value_max], [event_duration_sketch], [updated_at]) VALUES (@w0, @w1, @w2, @w3, @w4, @w5, @w6, @w7, @w8, @w9, @w10, @w11, @w12, @w13, @w14, @w15)
GO

-- iot_events.update_window
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(11), @w2 BIGINT, @w3 NVARCHAR(11), @w4 BIGINT, @w5 FLOAT, @w6 FLOAT, @w7 FLOAT, @w8 FLOAT, @w9 BIGINT, @w10 FLOAT, @w11 FLOAT, @w12 FLOAT, @w13 FLOAT, @w14 NVARCHAR(MAX), @w15 DATETIME2(3)
-- parsed by node-sql-parser: yes
UPDATE [iot_events_windows_1m] SET [count] = @w2, [device_type] = @w3, [event_duration_count] = @w4, [event_duration_sum] = @w5, [event_duration_sum_of_squares] = @w6, [event_duration_min] = @w7, [event_duration_max] = @w8, [value_count] = @w9, [value_sum] = @w10, [value_sum_of_squares] = @w11, [value_min] = @w12, [value_max] = @w13, [event_duration_sketch] = @w14, [updated_at] = @w15 WHERE [window_start] = @w0 AND [dimension_key] = @w1
GO

-- iot_events.list_windows
-- parameters: @limit BIGINT, @from DATETIME2(3), @to DATETIME2(3)
-- parsed by node-sql-parser: yes
SELECT TOP (@limit) [window_start], [dimension_key], [count], [device_type], [event_duration_count], [event_duration_sum], [event_duration_sum_of_squares], [event_duration_min], [event_duration_max], [value_count], [value_sum], [value_sum_of_squares], [value_min], [value_max], [event_duration_sketch], [updated_at] FROM [iot_events_windows_1m]
WHERE (@from IS NULL OR [window_start] >= @from) AND (@to IS NULL OR [window_start] < @to)
ORDER BY [window_start], [dimension_key]
GO

-- iot_events.count_facts
-- parameters: @fileId NVARCHAR(400)
-- parsed by node-sql-parser: no (reviewed by hand)
SELECT COUNT_BIG(*) AS [n] FROM [iot_events_facts] WHERE @fileId IS NULL OR [file_id] = @fileId
GO

-- iot_events.group_by_window
-- parameters: none
-- parsed by node-sql-parser: yes
SELECT [window_start], [device_type], COUNT(*) AS [n], SUM(CAST([event_duration] AS FLOAT)) AS [sum0], MIN([event_duration]) AS [min0], MAX([event_duration]) AS [max0], SUM(CAST([value] AS FLOAT)) AS [sum1], MIN([value]) AS [min1], MAX([value]) AS [max1]
FROM [iot_events_facts] GROUP BY [window_start], [device_type]
GO

-- iot_events.daily_percentile
-- parameters: @from DATE, @to DATE, @minEvents BIGINT, @sigma FLOAT, @percentile FLOAT
-- parsed by node-sql-parser: yes
WITH base AS (
  SELECT [event_date] AS [day], COALESCE(CAST([device_type] AS NVARCHAR(4000)), N'') AS [dimension], CAST([event_duration] AS FLOAT) AS [v]
  FROM [iot_events_facts]
  WHERE [event_duration] IS NOT NULL AND (@from IS NULL OR [event_date] >= @from) AND (@to IS NULL OR [event_date] <= @to)
), stats AS (
  SELECT [day], [dimension], COUNT(*) AS [events], AVG([v]) AS [mean] FROM base GROUP BY [day], [dimension] HAVING COUNT(*) >= @minEvents
), spread AS (
  SELECT s.[day], s.[dimension], s.[events], s.[mean], SQRT(AVG((b.[v] - s.[mean]) * (b.[v] - s.[mean]))) AS [stddev]
  FROM base AS b JOIN stats AS s ON s.[day] = b.[day] AND s.[dimension] = b.[dimension]
  GROUP BY s.[day], s.[dimension], s.[events], s.[mean]
), kept AS (
  SELECT b.[day], b.[dimension], b.[v],
    ROW_NUMBER() OVER (PARTITION BY b.[day], b.[dimension] ORDER BY b.[v]) AS [position],
    COUNT(*) OVER (PARTITION BY b.[day], b.[dimension]) AS [kept]
  FROM base AS b JOIN spread AS s ON s.[day] = b.[day] AND s.[dimension] = b.[dimension]
  WHERE ABS(b.[v] - s.[mean]) <= @sigma * s.[stddev]
)
SELECT s.[day], s.[dimension], s.[events], s.[mean], s.[stddev], k.[kept], k.[v] AS [percentile]
FROM kept AS k JOIN spread AS s ON s.[day] = k.[day] AND s.[dimension] = k.[dimension]
WHERE CAST(k.[position] AS FLOAT) / k.[kept] >= @percentile AND CAST(k.[position] - 1 AS FLOAT) / k.[kept] < @percentile
ORDER BY s.[day], s.[dimension]
GO

-- iot_events.measure_values.event_duration
-- parameters: @windowStart DATETIME2(3)
-- parsed by node-sql-parser: yes
SELECT [event_duration], [device_type] FROM [iot_events_facts]
WHERE [event_duration] IS NOT NULL AND (@windowStart IS NULL OR [window_start] = @windowStart)
GO

-- iot_events.measure_values.value
-- parameters: @windowStart DATETIME2(3)
-- parsed by node-sql-parser: yes
SELECT [value], [device_type] FROM [iot_events_facts]
WHERE [value] IS NOT NULL AND (@windowStart IS NULL OR [window_start] = @windowStart)
GO

-- contract_events.create.contract_events_facts
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [contract_events_facts] (
  [event_id] NVARCHAR(36) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [device_id] NVARCHAR(64) NOT NULL,
  [device_type] NVARCHAR(11) NOT NULL,
  [timestamp] DATETIME2(3) NOT NULL,
  [event_duration] FLOAT NOT NULL,
  [value] FLOAT NULL,
  [ok] BIT NULL,
  [note] NVARCHAR(512) NULL,
  [event_date] DATE NOT NULL,
  [event_hour] BIGINT NOT NULL,
  [window_start] DATETIME2(3) NOT NULL,
  [file_id] NVARCHAR(400) NOT NULL,
  [row_number] BIGINT NOT NULL,
  CONSTRAINT [contract_events_facts_pk] PRIMARY KEY NONCLUSTERED ([event_id])
)
GO

-- contract_events.create.contract_events_facts_by_window
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = @name)
CREATE CLUSTERED INDEX [contract_events_facts_by_window] ON [contract_events_facts] ([window_start])
GO

-- contract_events.create.contract_events_facts_rows
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: no (reviewed by hand)
IF NOT EXISTS (SELECT 1 FROM sys.types WHERE name = @name AND is_table_type = 1 AND schema_id = SCHEMA_ID())
CREATE TYPE [contract_events_facts_rows] AS TABLE (
  [event_id] NVARCHAR(36) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [device_id] NVARCHAR(64) NOT NULL,
  [device_type] NVARCHAR(11) NOT NULL,
  [timestamp] DATETIME2(3) NOT NULL,
  [event_duration] FLOAT NOT NULL,
  [value] FLOAT NULL,
  [ok] BIT NULL,
  [note] NVARCHAR(512) NULL,
  [event_date] DATE NOT NULL,
  [event_hour] BIGINT NOT NULL,
  [window_start] DATETIME2(3) NOT NULL,
  [file_id] NVARCHAR(400) NOT NULL,
  [row_number] BIGINT NOT NULL,
  PRIMARY KEY ([event_id])
)
GO

-- contract_events.create.contract_events_facts_by_day
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = @name)
CREATE INDEX [contract_events_facts_by_day] ON [contract_events_facts] ([event_date], [device_type]) INCLUDE ([event_duration])
GO

-- contract_events.create.contract_events_windows_1m
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [contract_events_windows_1m] (
  [window_start] DATETIME2(3) NOT NULL,
  [dimension_key] NVARCHAR(11) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [count] BIGINT NOT NULL,
  [device_type] NVARCHAR(11) NOT NULL,
  [event_duration_count] BIGINT NOT NULL,
  [event_duration_sum] FLOAT NOT NULL,
  [event_duration_sum_of_squares] FLOAT NOT NULL,
  [event_duration_min] FLOAT NULL,
  [event_duration_max] FLOAT NULL,
  [value_count] BIGINT NOT NULL,
  [value_sum] FLOAT NOT NULL,
  [value_sum_of_squares] FLOAT NOT NULL,
  [value_min] FLOAT NULL,
  [value_max] FLOAT NULL,
  [event_duration_sketch] NVARCHAR(MAX) NULL,
  [updated_at] DATETIME2(3) NOT NULL,
  CONSTRAINT [contract_events_windows_1m_pk] PRIMARY KEY CLUSTERED ([window_start], [dimension_key])
)
GO

-- contract_events.insert_facts
-- parameters: @rows contract_events_facts_rows READONLY
-- parsed by node-sql-parser: no (reviewed by hand)
INSERT INTO [contract_events_facts] ([event_id], [device_id], [device_type], [timestamp], [event_duration], [value], [ok], [note], [event_date], [event_hour], [window_start], [file_id], [row_number])
OUTPUT inserted.[event_id]
SELECT r.[event_id], r.[device_id], r.[device_type], r.[timestamp], r.[event_duration], r.[value], r.[ok], r.[note], r.[event_date], r.[event_hour], r.[window_start], r.[file_id], r.[row_number] FROM @rows AS r
WHERE NOT EXISTS (SELECT 1 FROM [contract_events_facts] AS f WITH (UPDLOCK, HOLDLOCK) WHERE f.[event_id] = r.[event_id])
GO

-- contract_events.select_window_for_update
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(11)
-- parsed by node-sql-parser: yes
SELECT [window_start], [dimension_key], [count], [device_type], [event_duration_count], [event_duration_sum], [event_duration_sum_of_squares], [event_duration_min], [event_duration_max], [value_count], [value_sum], [value_sum_of_squares], [value_min], [value_max], [event_duration_sketch], [updated_at] FROM [contract_events_windows_1m] WITH (UPDLOCK, HOLDLOCK) WHERE [window_start] = @w0 AND [dimension_key] = @w1
GO

-- contract_events.insert_window
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(11), @w2 BIGINT, @w3 NVARCHAR(11), @w4 BIGINT, @w5 FLOAT, @w6 FLOAT, @w7 FLOAT, @w8 FLOAT, @w9 BIGINT, @w10 FLOAT, @w11 FLOAT, @w12 FLOAT, @w13 FLOAT, @w14 NVARCHAR(MAX), @w15 DATETIME2(3)
-- parsed by node-sql-parser: yes
INSERT INTO [contract_events_windows_1m] ([window_start], [dimension_key], [count], [device_type], [event_duration_count], [event_duration_sum], [event_duration_sum_of_squares], [event_duration_min], [event_duration_max], [value_count], [value_sum], [value_sum_of_squares], [value_min], [value_max], [event_duration_sketch], [updated_at]) VALUES (@w0, @w1, @w2, @w3, @w4, @w5, @w6, @w7, @w8, @w9, @w10, @w11, @w12, @w13, @w14, @w15)
GO

-- contract_events.update_window
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(11), @w2 BIGINT, @w3 NVARCHAR(11), @w4 BIGINT, @w5 FLOAT, @w6 FLOAT, @w7 FLOAT, @w8 FLOAT, @w9 BIGINT, @w10 FLOAT, @w11 FLOAT, @w12 FLOAT, @w13 FLOAT, @w14 NVARCHAR(MAX), @w15 DATETIME2(3)
-- parsed by node-sql-parser: yes
UPDATE [contract_events_windows_1m] SET [count] = @w2, [device_type] = @w3, [event_duration_count] = @w4, [event_duration_sum] = @w5, [event_duration_sum_of_squares] = @w6, [event_duration_min] = @w7, [event_duration_max] = @w8, [value_count] = @w9, [value_sum] = @w10, [value_sum_of_squares] = @w11, [value_min] = @w12, [value_max] = @w13, [event_duration_sketch] = @w14, [updated_at] = @w15 WHERE [window_start] = @w0 AND [dimension_key] = @w1
GO

-- contract_events.list_windows
-- parameters: @limit BIGINT, @from DATETIME2(3), @to DATETIME2(3)
-- parsed by node-sql-parser: yes
SELECT TOP (@limit) [window_start], [dimension_key], [count], [device_type], [event_duration_count], [event_duration_sum], [event_duration_sum_of_squares], [event_duration_min], [event_duration_max], [value_count], [value_sum], [value_sum_of_squares], [value_min], [value_max], [event_duration_sketch], [updated_at] FROM [contract_events_windows_1m]
WHERE (@from IS NULL OR [window_start] >= @from) AND (@to IS NULL OR [window_start] < @to)
ORDER BY [window_start], [dimension_key]
GO

-- contract_events.count_facts
-- parameters: @fileId NVARCHAR(400)
-- parsed by node-sql-parser: no (reviewed by hand)
SELECT COUNT_BIG(*) AS [n] FROM [contract_events_facts] WHERE @fileId IS NULL OR [file_id] = @fileId
GO

-- contract_events.group_by_window
-- parameters: none
-- parsed by node-sql-parser: yes
SELECT [window_start], [device_type], COUNT(*) AS [n], SUM(CAST([event_duration] AS FLOAT)) AS [sum0], MIN([event_duration]) AS [min0], MAX([event_duration]) AS [max0], SUM(CAST([value] AS FLOAT)) AS [sum1], MIN([value]) AS [min1], MAX([value]) AS [max1]
FROM [contract_events_facts] GROUP BY [window_start], [device_type]
GO

-- contract_events.daily_percentile
-- parameters: @from DATE, @to DATE, @minEvents BIGINT, @sigma FLOAT, @percentile FLOAT
-- parsed by node-sql-parser: yes
WITH base AS (
  SELECT [event_date] AS [day], COALESCE(CAST([device_type] AS NVARCHAR(4000)), N'') AS [dimension], CAST([event_duration] AS FLOAT) AS [v]
  FROM [contract_events_facts]
  WHERE [event_duration] IS NOT NULL AND (@from IS NULL OR [event_date] >= @from) AND (@to IS NULL OR [event_date] <= @to)
), stats AS (
  SELECT [day], [dimension], COUNT(*) AS [events], AVG([v]) AS [mean] FROM base GROUP BY [day], [dimension] HAVING COUNT(*) >= @minEvents
), spread AS (
  SELECT s.[day], s.[dimension], s.[events], s.[mean], SQRT(AVG((b.[v] - s.[mean]) * (b.[v] - s.[mean]))) AS [stddev]
  FROM base AS b JOIN stats AS s ON s.[day] = b.[day] AND s.[dimension] = b.[dimension]
  GROUP BY s.[day], s.[dimension], s.[events], s.[mean]
), kept AS (
  SELECT b.[day], b.[dimension], b.[v],
    ROW_NUMBER() OVER (PARTITION BY b.[day], b.[dimension] ORDER BY b.[v]) AS [position],
    COUNT(*) OVER (PARTITION BY b.[day], b.[dimension]) AS [kept]
  FROM base AS b JOIN spread AS s ON s.[day] = b.[day] AND s.[dimension] = b.[dimension]
  WHERE ABS(b.[v] - s.[mean]) <= @sigma * s.[stddev]
)
SELECT s.[day], s.[dimension], s.[events], s.[mean], s.[stddev], k.[kept], k.[v] AS [percentile]
FROM kept AS k JOIN spread AS s ON s.[day] = k.[day] AND s.[dimension] = k.[dimension]
WHERE CAST(k.[position] AS FLOAT) / k.[kept] >= @percentile AND CAST(k.[position] - 1 AS FLOAT) / k.[kept] < @percentile
ORDER BY s.[day], s.[dimension]
GO

-- contract_events.measure_values.event_duration
-- parameters: @windowStart DATETIME2(3)
-- parsed by node-sql-parser: yes
SELECT [event_duration], [device_type] FROM [contract_events_facts]
WHERE [event_duration] IS NOT NULL AND (@windowStart IS NULL OR [window_start] = @windowStart)
GO

-- contract_events.measure_values.value
-- parameters: @windowStart DATETIME2(3)
-- parsed by node-sql-parser: yes
SELECT [value], [device_type] FROM [contract_events_facts]
WHERE [value] IS NOT NULL AND (@windowStart IS NULL OR [window_start] = @windowStart)
GO

-- meter_readings.create.meter_readings_facts
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [meter_readings_facts] (
  [meter] NVARCHAR(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [read_at] DATETIME2(3) NOT NULL,
  [kwh] BIGINT NOT NULL,
  [estimated] BIT NULL,
  [region] NVARCHAR(5) NULL,
  [event_date] DATE NOT NULL,
  [event_hour] BIGINT NOT NULL,
  [window_start] DATETIME2(3) NOT NULL,
  [file_id] NVARCHAR(400) NOT NULL,
  [row_number] BIGINT NOT NULL,
  CONSTRAINT [meter_readings_facts_pk] PRIMARY KEY NONCLUSTERED ([meter], [read_at])
)
GO

-- meter_readings.create.meter_readings_facts_by_window
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = @name)
CREATE CLUSTERED INDEX [meter_readings_facts_by_window] ON [meter_readings_facts] ([window_start])
GO

-- meter_readings.create.meter_readings_facts_rows
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: no (reviewed by hand)
IF NOT EXISTS (SELECT 1 FROM sys.types WHERE name = @name AND is_table_type = 1 AND schema_id = SCHEMA_ID())
CREATE TYPE [meter_readings_facts_rows] AS TABLE (
  [meter] NVARCHAR(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [read_at] DATETIME2(3) NOT NULL,
  [kwh] BIGINT NOT NULL,
  [estimated] BIT NULL,
  [region] NVARCHAR(5) NULL,
  [event_date] DATE NOT NULL,
  [event_hour] BIGINT NOT NULL,
  [window_start] DATETIME2(3) NOT NULL,
  [file_id] NVARCHAR(400) NOT NULL,
  [row_number] BIGINT NOT NULL,
  PRIMARY KEY ([meter], [read_at])
)
GO

-- meter_readings.create.meter_readings_windows_15m
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [meter_readings_windows_15m] (
  [window_start] DATETIME2(3) NOT NULL,
  [dimension_key] NVARCHAR(14) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [count] BIGINT NOT NULL,
  [region] NVARCHAR(5) NOT NULL,
  [estimated] NVARCHAR(5) NOT NULL,
  [kwh_count] BIGINT NOT NULL,
  [kwh_sum] FLOAT NOT NULL,
  [kwh_sum_of_squares] FLOAT NOT NULL,
  [kwh_min] FLOAT NULL,
  [kwh_max] FLOAT NULL,
  [updated_at] DATETIME2(3) NOT NULL,
  CONSTRAINT [meter_readings_windows_15m_pk] PRIMARY KEY CLUSTERED ([window_start], [dimension_key])
)
GO

-- meter_readings.insert_facts
-- parameters: @rows meter_readings_facts_rows READONLY
-- parsed by node-sql-parser: no (reviewed by hand)
INSERT INTO [meter_readings_facts] ([meter], [read_at], [kwh], [estimated], [region], [event_date], [event_hour], [window_start], [file_id], [row_number])
OUTPUT inserted.[meter], inserted.[read_at]
SELECT r.[meter], r.[read_at], r.[kwh], r.[estimated], r.[region], r.[event_date], r.[event_hour], r.[window_start], r.[file_id], r.[row_number] FROM @rows AS r
WHERE NOT EXISTS (SELECT 1 FROM [meter_readings_facts] AS f WITH (UPDLOCK, HOLDLOCK) WHERE f.[meter] = r.[meter] AND f.[read_at] = r.[read_at])
GO

-- meter_readings.select_window_for_update
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(14)
-- parsed by node-sql-parser: yes
SELECT [window_start], [dimension_key], [count], [region], [estimated], [kwh_count], [kwh_sum], [kwh_sum_of_squares], [kwh_min], [kwh_max], [updated_at] FROM [meter_readings_windows_15m] WITH (UPDLOCK, HOLDLOCK) WHERE [window_start] = @w0 AND [dimension_key] = @w1
GO

-- meter_readings.insert_window
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(14), @w2 BIGINT, @w3 NVARCHAR(5), @w4 NVARCHAR(5), @w5 BIGINT, @w6 FLOAT, @w7 FLOAT, @w8 FLOAT, @w9 FLOAT, @w10 DATETIME2(3)
-- parsed by node-sql-parser: yes
INSERT INTO [meter_readings_windows_15m] ([window_start], [dimension_key], [count], [region], [estimated], [kwh_count], [kwh_sum], [kwh_sum_of_squares], [kwh_min], [kwh_max], [updated_at]) VALUES (@w0, @w1, @w2, @w3, @w4, @w5, @w6, @w7, @w8, @w9, @w10)
GO

-- meter_readings.update_window
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(14), @w2 BIGINT, @w3 NVARCHAR(5), @w4 NVARCHAR(5), @w5 BIGINT, @w6 FLOAT, @w7 FLOAT, @w8 FLOAT, @w9 FLOAT, @w10 DATETIME2(3)
-- parsed by node-sql-parser: yes
UPDATE [meter_readings_windows_15m] SET [count] = @w2, [region] = @w3, [estimated] = @w4, [kwh_count] = @w5, [kwh_sum] = @w6, [kwh_sum_of_squares] = @w7, [kwh_min] = @w8, [kwh_max] = @w9, [updated_at] = @w10 WHERE [window_start] = @w0 AND [dimension_key] = @w1
GO

-- meter_readings.list_windows
-- parameters: @limit BIGINT, @from DATETIME2(3), @to DATETIME2(3)
-- parsed by node-sql-parser: yes
SELECT TOP (@limit) [window_start], [dimension_key], [count], [region], [estimated], [kwh_count], [kwh_sum], [kwh_sum_of_squares], [kwh_min], [kwh_max], [updated_at] FROM [meter_readings_windows_15m]
WHERE (@from IS NULL OR [window_start] >= @from) AND (@to IS NULL OR [window_start] < @to)
ORDER BY [window_start], [dimension_key]
GO

-- meter_readings.count_facts
-- parameters: @fileId NVARCHAR(400)
-- parsed by node-sql-parser: no (reviewed by hand)
SELECT COUNT_BIG(*) AS [n] FROM [meter_readings_facts] WHERE @fileId IS NULL OR [file_id] = @fileId
GO

-- meter_readings.group_by_window
-- parameters: none
-- parsed by node-sql-parser: yes
SELECT [window_start], [region], [estimated], COUNT(*) AS [n], SUM(CAST([kwh] AS FLOAT)) AS [sum0], MIN([kwh]) AS [min0], MAX([kwh]) AS [max0]
FROM [meter_readings_facts] GROUP BY [window_start], [region], [estimated]
GO

-- meter_readings.measure_values.kwh
-- parameters: @windowStart DATETIME2(3)
-- parsed by node-sql-parser: yes
SELECT [kwh], [region], [estimated] FROM [meter_readings_facts]
WHERE [kwh] IS NOT NULL AND (@windowStart IS NULL OR [window_start] = @windowStart)
GO

-- real_world.create.real_world_facts
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [real_world_facts] (
  [date] DATE NOT NULL,
  [order] NVARCHAR(20) NULL,
  [select] BIT NULL,
  [count] BIGINT NULL,
  [event_date] DATE NOT NULL,
  [event_hour] BIGINT NOT NULL,
  [window_start] DATETIME2(3) NOT NULL,
  [file_id] NVARCHAR(400) NOT NULL,
  [row_number] BIGINT NOT NULL,
  [row_hash] NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
  CONSTRAINT [real_world_facts_pk] PRIMARY KEY NONCLUSTERED ([row_hash])
)
GO

-- real_world.create.real_world_facts_by_window
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = @name)
CREATE CLUSTERED INDEX [real_world_facts_by_window] ON [real_world_facts] ([window_start])
GO

-- real_world.create.real_world_facts_rows
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: no (reviewed by hand)
IF NOT EXISTS (SELECT 1 FROM sys.types WHERE name = @name AND is_table_type = 1 AND schema_id = SCHEMA_ID())
CREATE TYPE [real_world_facts_rows] AS TABLE (
  [date] DATE NOT NULL,
  [order] NVARCHAR(20) NULL,
  [select] BIT NULL,
  [count] BIGINT NULL,
  [event_date] DATE NOT NULL,
  [event_hour] BIGINT NOT NULL,
  [window_start] DATETIME2(3) NOT NULL,
  [file_id] NVARCHAR(400) NOT NULL,
  [row_number] BIGINT NOT NULL,
  [row_hash] NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
  PRIMARY KEY ([row_hash])
)
GO

-- real_world.create.real_world_facts_by_day
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = @name)
CREATE INDEX [real_world_facts_by_day] ON [real_world_facts] ([event_date], [order]) INCLUDE ([count])
GO

-- real_world.create.real_world_windows_1440m
-- parameters: @name NVARCHAR(128)
-- parsed by node-sql-parser: yes
IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = @name AND schema_id = SCHEMA_ID())
CREATE TABLE [real_world_windows_1440m] (
  [window_start] DATETIME2(3) NOT NULL,
  [dimension_key] NVARCHAR(20) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [count] BIGINT NOT NULL,
  [order] NVARCHAR(20) NOT NULL,
  [count_count] BIGINT NOT NULL,
  [count_sum] FLOAT NOT NULL,
  [count_sum_of_squares] FLOAT NOT NULL,
  [count_min] FLOAT NULL,
  [count_max] FLOAT NULL,
  [updated_at] DATETIME2(3) NOT NULL,
  CONSTRAINT [real_world_windows_1440m_pk] PRIMARY KEY CLUSTERED ([window_start], [dimension_key])
)
GO

-- real_world.insert_facts
-- parameters: @rows real_world_facts_rows READONLY
-- parsed by node-sql-parser: no (reviewed by hand)
INSERT INTO [real_world_facts] ([date], [order], [select], [count], [event_date], [event_hour], [window_start], [file_id], [row_number], [row_hash])
OUTPUT inserted.[row_hash]
SELECT r.[date], r.[order], r.[select], r.[count], r.[event_date], r.[event_hour], r.[window_start], r.[file_id], r.[row_number], r.[row_hash] FROM @rows AS r
WHERE NOT EXISTS (SELECT 1 FROM [real_world_facts] AS f WITH (UPDLOCK, HOLDLOCK) WHERE f.[row_hash] = r.[row_hash])
GO

-- real_world.select_window_for_update
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(20)
-- parsed by node-sql-parser: yes
SELECT [window_start], [dimension_key], [count], [order], [count_count], [count_sum], [count_sum_of_squares], [count_min], [count_max], [updated_at] FROM [real_world_windows_1440m] WITH (UPDLOCK, HOLDLOCK) WHERE [window_start] = @w0 AND [dimension_key] = @w1
GO

-- real_world.insert_window
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(20), @w2 BIGINT, @w3 NVARCHAR(20), @w4 BIGINT, @w5 FLOAT, @w6 FLOAT, @w7 FLOAT, @w8 FLOAT, @w9 DATETIME2(3)
-- parsed by node-sql-parser: yes
INSERT INTO [real_world_windows_1440m] ([window_start], [dimension_key], [count], [order], [count_count], [count_sum], [count_sum_of_squares], [count_min], [count_max], [updated_at]) VALUES (@w0, @w1, @w2, @w3, @w4, @w5, @w6, @w7, @w8, @w9)
GO

-- real_world.update_window
-- parameters: @w0 DATETIME2(3), @w1 NVARCHAR(20), @w2 BIGINT, @w3 NVARCHAR(20), @w4 BIGINT, @w5 FLOAT, @w6 FLOAT, @w7 FLOAT, @w8 FLOAT, @w9 DATETIME2(3)
-- parsed by node-sql-parser: yes
UPDATE [real_world_windows_1440m] SET [count] = @w2, [order] = @w3, [count_count] = @w4, [count_sum] = @w5, [count_sum_of_squares] = @w6, [count_min] = @w7, [count_max] = @w8, [updated_at] = @w9 WHERE [window_start] = @w0 AND [dimension_key] = @w1
GO

-- real_world.list_windows
-- parameters: @limit BIGINT, @from DATETIME2(3), @to DATETIME2(3)
-- parsed by node-sql-parser: yes
SELECT TOP (@limit) [window_start], [dimension_key], [count], [order], [count_count], [count_sum], [count_sum_of_squares], [count_min], [count_max], [updated_at] FROM [real_world_windows_1440m]
WHERE (@from IS NULL OR [window_start] >= @from) AND (@to IS NULL OR [window_start] < @to)
ORDER BY [window_start], [dimension_key]
GO

-- real_world.count_facts
-- parameters: @fileId NVARCHAR(400)
-- parsed by node-sql-parser: no (reviewed by hand)
SELECT COUNT_BIG(*) AS [n] FROM [real_world_facts] WHERE @fileId IS NULL OR [file_id] = @fileId
GO

-- real_world.group_by_window
-- parameters: none
-- parsed by node-sql-parser: yes
SELECT [window_start], [order], COUNT(*) AS [n], SUM(CAST([count] AS FLOAT)) AS [sum0], MIN([count]) AS [min0], MAX([count]) AS [max0]
FROM [real_world_facts] GROUP BY [window_start], [order]
GO

-- real_world.daily_percentile
-- parameters: @from DATE, @to DATE, @minEvents BIGINT, @sigma FLOAT, @percentile FLOAT
-- parsed by node-sql-parser: yes
WITH base AS (
  SELECT [event_date] AS [day], COALESCE(CAST([order] AS NVARCHAR(4000)), N'') AS [dimension], CAST([count] AS FLOAT) AS [v]
  FROM [real_world_facts]
  WHERE [count] IS NOT NULL AND (@from IS NULL OR [event_date] >= @from) AND (@to IS NULL OR [event_date] <= @to)
), stats AS (
  SELECT [day], [dimension], COUNT(*) AS [events], AVG([v]) AS [mean] FROM base GROUP BY [day], [dimension] HAVING COUNT(*) >= @minEvents
), spread AS (
  SELECT s.[day], s.[dimension], s.[events], s.[mean], SQRT(AVG((b.[v] - s.[mean]) * (b.[v] - s.[mean]))) AS [stddev]
  FROM base AS b JOIN stats AS s ON s.[day] = b.[day] AND s.[dimension] = b.[dimension]
  GROUP BY s.[day], s.[dimension], s.[events], s.[mean]
), kept AS (
  SELECT b.[day], b.[dimension], b.[v],
    ROW_NUMBER() OVER (PARTITION BY b.[day], b.[dimension] ORDER BY b.[v]) AS [position],
    COUNT(*) OVER (PARTITION BY b.[day], b.[dimension]) AS [kept]
  FROM base AS b JOIN spread AS s ON s.[day] = b.[day] AND s.[dimension] = b.[dimension]
  WHERE ABS(b.[v] - s.[mean]) <= @sigma * s.[stddev]
)
SELECT s.[day], s.[dimension], s.[events], s.[mean], s.[stddev], k.[kept], k.[v] AS [percentile]
FROM kept AS k JOIN spread AS s ON s.[day] = k.[day] AND s.[dimension] = k.[dimension]
WHERE CAST(k.[position] AS FLOAT) / k.[kept] >= @percentile AND CAST(k.[position] - 1 AS FLOAT) / k.[kept] < @percentile
ORDER BY s.[day], s.[dimension]
GO

-- real_world.measure_values.count
-- parameters: @windowStart DATETIME2(3)
-- parsed by node-sql-parser: yes
SELECT [count], [order] FROM [real_world_facts]
WHERE [count] IS NOT NULL AND (@windowStart IS NULL OR [window_start] = @windowStart)
GO
