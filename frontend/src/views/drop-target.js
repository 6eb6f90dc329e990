// Photos dragged onto a view: its drop zone lights up while files are over the view, and a drop hands them on.

/**
 * @param {HTMLElement} section the view, which takes the drop anywhere
 * @param {HTMLElement} dropzone what lights up
 * @param {(files: File[]) => void} onFiles
 */
export function acceptDroppedFiles(section, dropzone, onFiles) {
  section.addEventListener("dragover", (event) => {
    if (![...(event.dataTransfer?.types ?? [])].includes("Files")) return;
    event.preventDefault();
    dropzone.classList.add("dragging");
  });
  section.addEventListener("dragleave", (event) => {
    if (!section.contains(event.relatedTarget)) dropzone.classList.remove("dragging");
  });
  section.addEventListener("drop", (event) => {
    event.preventDefault();
    dropzone.classList.remove("dragging");
    onFiles([...(event.dataTransfer?.files ?? [])]);
  });
}
