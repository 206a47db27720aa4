package io.raftkv.mapreduce.io;

/**
 * The format of intermediate files ({@code mr-X-Y}), binary and big-endian:
 *
 * <pre>
 *   header   4 bytes "MRKV", 1 byte version (1)
 *   record   int32 key length, key as UTF-8, int32 value length, value as UTF-8      (repeated)
 *   trailer  int32 -1, int64 number of records
 * </pre>
 *
 * Records are sorted by key ({@link String#compareTo}), so a reduce task merges its M inputs in one streaming pass
 * and holds only the values of one key in memory. The trailer lets a reader tell a complete file from a cut one
 * (renames are atomic, so this only catches foreign or damaged files).
 */
public final class IntermediateFormat {
    static final byte[] MAGIC = {'M', 'R', 'K', 'V'};
    static final byte VERSION = 1;
    static final int END_OF_RECORDS = -1;

    private IntermediateFormat() {}
}
