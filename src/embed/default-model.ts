/** The model the product runs unless told otherwise: its folder name wherever models are served or shipped. */
export const DEFAULT_MODEL = 'sgpt-nano';
