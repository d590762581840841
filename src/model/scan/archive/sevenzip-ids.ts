/** 7z property IDs (7zFormat.txt in the 7-Zip sources, "Property IDs"). */
export const K_END = 0x00;
export const K_HEADER = 0x01;
export const K_ARCHIVE_PROPERTIES = 0x02;
export const K_ADDITIONAL_STREAMS_INFO = 0x03;
export const K_MAIN_STREAMS_INFO = 0x04;
export const K_FILES_INFO = 0x05;
export const K_PACK_INFO = 0x06;
export const K_UNPACK_INFO = 0x07;
export const K_SUBSTREAMS_INFO = 0x08;
export const K_SIZE = 0x09;
export const K_CRC = 0x0a;
export const K_FOLDER = 0x0b;
export const K_CODERS_UNPACK_SIZE = 0x0c;
export const K_NUM_UNPACK_STREAM = 0x0d;
export const K_EMPTY_STREAM = 0x0e;
export const K_EMPTY_FILE = 0x0f;
export const K_ANTI = 0x10;
export const K_NAME = 0x11;
export const K_WIN_ATTRIBUTES = 0x15;
export const K_ENCODED_HEADER = 0x17;

