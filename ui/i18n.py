"""Languages: Chinese (zh_CN) and English, from the system locale, switchable at run time.

The GUI's own strings are ``self.tr()`` in the source and Qt Linguist files in
``resources/i18n/`` (``techapp_zh_CN.ts`` made by ``pyside6-lupdate``,
``techapp_zh_CN.qm`` made by ``pyside6-lrelease``; both are committed and
``tests/gui/test_gui_i18n.py`` fails when either is stale or a string is
unfinished). Texts that come from the diagnosis are bilingual already
(:class:`techapp.diagnosis.Text`): widgets show ``text(lang())``.

Switching installs the other translator; Qt then sends every widget a
``QEvent.LanguageChange`` and each one re-runs its ``retranslate()``.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QObject, QSettings, QTranslator, Signal

from drivers.resources import resource_root

LANGUAGES = ("zh", "en")
#: language -> Qt locale name of its translation files
LOCALE = {"zh": "zh_CN", "en": "en"}
#: How each language names itself in the language menu (never translated).
NATIVE_NAME = {"zh": "中文（简体）", "en": "English"}


def i18n_dir():
    return resource_root() / "i18n"


def system_language() -> str:
    """ "zh" for a Chinese system locale, else "en"."""
    return "zh" if QLocale.system().language() == QLocale.Language.Chinese else "en"


class Languages(QObject):
    """Owns the installed translators; one per application."""

    changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lang = "en"
        self._translators: list[QTranslator] = []

    def set_language(self, lang: str) -> bool:
        """Install ``lang``'s translators (removing the others); True when its .qm was found."""
        if lang not in LANGUAGES:
            lang = "en"
        app = QCoreApplication.instance()
        for t in self._translators:
            app.removeTranslator(t)
        self._translators = []
        found = True
        if lang != "en":
            ours = QTranslator(self)
            found = ours.load(f"techapp_{LOCALE[lang]}", str(i18n_dir()))
            if found:
                self._translators.append(ours)
            qt = QTranslator(self)
            qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            if qt.load(f"qtbase_{LOCALE[lang]}", qt_dir) or qt.load(f"qt_{LOCALE[lang]}", qt_dir):
                self._translators.append(qt)
        for t in self._translators:
            app.installTranslator(t)
        QLocale.setDefault(QLocale(LOCALE[lang] if lang != "en" else "en_US"))
        self.lang = lang
        self.changed.emit(lang)
        return found

    def initial(self, settings: QSettings) -> str:
        saved = settings.value("language", "", str)
        return saved if saved in LANGUAGES else system_language()


_languages: Languages | None = None


def languages() -> Languages:
    global _languages
    if _languages is None:
        _languages = Languages()
    return _languages


def lang() -> str:
    """The current language for bilingual texts from techapp: "zh" or "en"."""
    return languages().lang


# -- the Linguist files (``python -m ui.i18n`` updates them) ----------------------------------
#: Languages with a translation file (English is the source language).
TRANSLATED = ("zh_CN",)


def ts_path(locale: str):
    return i18n_dir() / f"techapp_{locale}.ts"


def qm_path(locale: str):
    return i18n_dir() / f"techapp_{locale}.qm"


def ui_sources() -> list[str]:
    from pathlib import Path

    here = Path(__file__).resolve().parent
    return sorted(str(p) for p in here.glob("*.py"))


def _tool(name: str) -> str:
    import shutil
    import sys
    from pathlib import Path

    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def lupdate_command(ts: str) -> list[str]:
    """The one way the .ts files are made: no line numbers (edits elsewhere do not churn them), no obsolete."""
    return [_tool("pyside6-lupdate"), "-silent", "-locations", "none", "-no-obsolete", *ui_sources(), "-ts", ts]


def lrelease_command(ts: str, qm: str) -> list[str]:
    return [_tool("pyside6-lrelease"), "-silent", "-nounfinished", ts, "-qm", qm]


def update() -> None:
    """Refresh every .ts from the source, then build its .qm."""
    import subprocess

    for locale in TRANSLATED:
        subprocess.run(lupdate_command(str(ts_path(locale))), check=True)
        subprocess.run(lrelease_command(str(ts_path(locale)), str(qm_path(locale))), check=True)


if __name__ == "__main__":
    update()
