-- Größe: multibyte characters before the error move it in bytes, not characters.
INSERT INTO labels VALUES ('größe', 'ÿ€');
SELECT 'naïve' FROM WHERE;
