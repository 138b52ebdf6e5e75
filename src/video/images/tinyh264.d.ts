/**
 * The part of tinyh264's Emscripten module (es/TinyH264.js, no types of its own) the npm decoder
 * uses: h264bsd's decoder calls and the heap (the heap's view changes when memory grows).
 */
declare module 'tinyh264/es/TinyH264.js' {
  export interface TinyH264Module {
    HEAPU8: Uint8Array;
    _malloc(size: number): number;
    _free(pointer: number): void;
    _h264bsdAlloc(): number;
    _h264bsdInit(storage: number, noOutputReordering: number): number;
    _h264bsdDecode(storage: number, data: number, length: number, picture: number, width: number, height: number): number;
    _h264bsdShutdown(storage: number): void;
    _h264bsdFree(storage: number): void;
    getValue(pointer: number, type: 'i32' | 'i8*'): number;
  }
  const factory: (overrides?: Record<string, unknown>) => Promise<TinyH264Module>;
  export default factory;
}
