"""The French sentence a student reads when a limit stopped their notebook.

Cells are numbered from 1 here, as the student sees them (nbformat indexes from 0).
"""

from __future__ import annotations

from grader.results import ExecutionStatus
from grader.sandbox.limits import Limits, format_size


def french_size(size: int) -> str:
    """`format_size` in French units and decimals: 1.5 GiB -> "1,5 Gio"."""
    number, unit = format_size(size).split(" ")
    return f"{number.replace('.', ',')} {unit.replace('iB', 'io').replace('B', 'o')}"


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",") + " s"


def _cell_limit(limits: Limits) -> str:
    """A cell's two limits as a student reads them: its computing time, and its whole duration."""
    return (
        f"{_seconds(limits.cell_timeout_s)} de calcul "
        f"({_seconds(limits.cell_wall_timeout_s)} de durée au plus)"
    )


def interrupted_message(limits: Limits, cell_index: int) -> str:
    """A cell stopped by the interrupt at its time limit: the notebook went on."""
    return (
        f"La cellule {cell_index + 1} a dépassé la limite de {_cell_limit(limits)} "
        "et a été interrompue ; les cellules suivantes ont été exécutées."
    )


def truncated_message(limits: Limits, cell_index: int) -> str:
    """A cell whose output went over its cap: the rest was dropped, the notebook went on."""
    cap = min(limits.output_bytes_per_cell, limits.output_bytes)
    return (
        f"La sortie de la cellule {cell_index + 1} dépassait la limite de {french_size(cap)} : "
        "elle a été tronquée."
    )


def disk_full_message(limits: Limits, cell_index: int) -> str:
    """A cell whose write met the disk limit (its working folder, or /tmp): the cell failed."""
    return (
        f"La cellule {cell_index + 1} a dépassé l'espace disque autorisé "
        f"({french_size(limits.disk_bytes)} pour le dossier du notebook, autant pour /tmp) : "
        "l'écriture a échoué."
    )


def restart_message(cell_index: int) -> str:
    """The notebook went on after a lost kernel: earlier cells replayed in a fresh one."""
    return (
        f"Le notebook a été relancé dans un nouveau noyau sans la cellule {cell_index + 1} "
        "(les cellules précédentes ont été réexécutées) pour vérifier la suite."
    )


def limit_message(
    status: ExecutionStatus, limits: Limits, cell_index: int | None = None
) -> str | None:
    """The sentence for a limit hit (None for OK and ERROR, which are not limits).
    `cell_index` is the 0-based index of the cell that was running; None for the whole notebook."""
    cell = f"la cellule {cell_index + 1}" if cell_index is not None else "le notebook"
    subject = cell[0].upper() + cell[1:]
    if status == ExecutionStatus.TIMEOUT:
        if cell_index is None:
            return (
                f"Le notebook a dépassé sa durée limite de {_seconds(limits.notebook_timeout_s)} ; "
                "les cellules suivantes n'ont pas été exécutées."
            )
        return (
            f"{subject} a dépassé la limite de {_cell_limit(limits)} et ne répondait "
            "plus à l'interruption ; le noyau a été arrêté."
        )
    if status == ExecutionStatus.MEMORY:
        return (
            f"{subject} a dépassé la limite de mémoire de {french_size(limits.memory_bytes)} "
            "(processus enfants compris) ; le noyau a été arrêté."
        )
    if status == ExecutionStatus.OUTPUT_LIMIT:
        return (
            f"{subject} a produit trop de sortie (plus de "
            f"{french_size(limits.message_bytes)} d'un coup) ; le noyau a été arrêté."
        )
    if status == ExecutionStatus.KILLED:
        return (
            f"Le noyau s'est arrêté pendant l'exécution de {cell} "
            "(sortie brutale, signal ou plantage) ; les cellules suivantes n'ont pas été exécutées."
        )
    if status == ExecutionStatus.PROTOCOL_ERROR:
        return (
            f"Pendant l'exécution de {cell}, le noyau a envoyé au correcteur un message que le "
            "protocole Jupyter interdit (illisible, rejoué, mal signé ou répondant à une demande "
            "jamais faite) ; le noyau a été arrêté et les cellules suivantes n'ont pas été "
            "exécutées."
        )
    if status == ExecutionStatus.STARTUP_FAILED:
        return (
            "Le noyau n'a pas pu démarrer : ce n'est pas de votre fait, l'enseignant a été prévenu."
        )
    return None
