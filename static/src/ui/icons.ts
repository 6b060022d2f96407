/** Our own toolbar icon drawings (24×24, stroked). */
export const ICONS = {
  select: ["M6 3l12 9-5.5 1 3 6-2.5 1.2-3-6L6 18z"],
  hand: [
    "M8 12.5V5.5a1.5 1.5 0 0 1 3 0V11",
    "M11 10.5V4a1.5 1.5 0 0 1 3 0v7",
    "M14 10.5V5.5a1.5 1.5 0 0 1 3 0V14a6.5 6.5 0 0 1-6.5 6.5H10a5.5 5.5 0 0 1-4.6-2.5L3 14a1.5 1.5 0 0 1 2.6-1.5L8 15",
  ],
  pen: ["M4 20l1-4L16 5l3 3L8 19z", "M14 7l3 3"],
  line: ["M5 19L19 5"],
  arrow: ["M5 19L19 5", "M10 5h9v9"],
  rect: ["M4 6h16v12H4z"],
  ellipse: ["M12 5c4.4 0 8 3.1 8 7s-3.6 7-8 7-8-3.1-8-7 3.6-7 8-7z"],
  text: ["M5 7V5h14v2", "M12 5v14", "M9 19h6"],
  eraser: ["M15 4l5 5-9 9H7l-3-3z", "M10 9l5 5", "M11 20h9"],
  note: ["M4 4h16v11l-5 5H4z", "M15 20v-5h5"],
  frame: ["M7 3v18", "M17 3v18", "M3 7h18", "M3 17h18"],
  undo: ["M9 14L4 9l5-5", "M4 9h10.5a5.5 5.5 0 0 1 0 11H11"],
  redo: ["M15 14l5-5-5-5", "M20 9H9.5a5.5 5.5 0 0 0 0 11H13"],
  people: [
    "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z",
    "M3 20a6 6 0 0 1 12 0",
    "M16 4.5a3.5 3.5 0 0 1 0 6.5",
    "M18 14.5a6 6 0 0 1 3 5.5",
  ],
  trash: ["M4 7h16", "M9 7V4h6v3", "M6 7l1 13h10l1-13"],
  copy: ["M8 8h12v12H8z", "M16 8V4H4v12h4"],
  history: ["M4 12a8 8 0 1 0 2.3-5.7", "M4 4v4h4", "M12 8v4l3 2"],
  fit: ["M4 9V4h5", "M15 4h5v5", "M20 15v5h-5", "M9 20H4v-5"],
} as const;

export type IconName = keyof typeof ICONS;
