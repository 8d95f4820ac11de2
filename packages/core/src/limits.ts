/** Bounds applied to every untrusted image. */
export interface ImageLimits {
  /** Largest width × height accepted (declared, before decoding), counting every frame of an animation. */
  maxPixels: number;
  /** Most frames accepted from an animated GIF/WebP. */
  maxFrames: number;
  /** Per-image time bound for decode + resize + encode, in whole seconds (sharp's `timeout`). */
  timeoutSeconds: number;
}

/**
 * Far below sharp's own default (0x3FFF × 0x3FFF ≈ 268 MP): 8192² ≈ 67 MP still admits 48 MP phone photos
 * but refuses a few-KB PNG that declares 30000×30000 before any pixel is decoded.
 */
export const DEFAULT_LIMITS: Readonly<ImageLimits> = {
  maxPixels: 8192 * 8192,
  maxFrames: 100,
  timeoutSeconds: 20,
};

/** DEFAULT_LIMITS overridden by `partial`; throws RangeError for a value that is not a positive integer. */
export function resolveLimits(partial: Partial<ImageLimits> = {}): ImageLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`limits.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  return limits;
}
