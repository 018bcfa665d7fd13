#!/usr/bin/env python3
"""manpage.py --version V --date YYYY-MM-DD OUTDIR < HELP.json — man pages from loadgen's own help.

Reads the ToolInfo JSON that `loadgen --experimental-dump-help` prints (swift-argument-parser's description of
every command, argument and help text) and writes section-1 pages into OUTDIR: loadgen.1 for the root command
and loadgen-SUB.1 (loadgen-k8s-job.1 for nested ones) for every visible subcommand, as git and ip do. Each page
holds what `--help` shows: the abstract, the discussion (indented lines kept as they are, as examples and tables
are), the positional arguments and the options in the help's groups, with defaults and allowed values. The
`help` subcommand is argument-parser's own and gets no page. Prints the names of the pages written, one a line.
"""
import argparse
import json
import os
import sys

SECTION = "1"
MANUAL = "User Commands"


def escape(text):
    """Text as roff reads it literally: backslashes, hyphens (all ASCII, so options can be copied), quotes, and
    anything beyond ASCII as a \\[uXXXX] escape (the page is ASCII, whatever preprocessor reads it)."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = text.replace("'", "\\(aq").replace("`", "\\(ga")
    return "".join(c if ord(c) < 128 else "\\[u%04X]" % ord(c) for c in text)


def is_label(text):
    """A short line ending in ':' ("Examples:", "Formats:") that heads what follows."""
    return text.rstrip().endswith(":") and len(text.split()) <= 3


def line(text):
    """One line of text that roff must not take for a request (a leading '.' or quote)."""
    text = escape(text)
    return "\\&" + text if text.startswith((".", "\\(aq")) else text


def page_name(path):
    """loadgen, loadgen-dns, loadgen-k8s-job."""
    return "-".join(path)


def visible_subcommands(command):
    return [sub for sub in command.get("subcommands", [])
            if sub.get("shouldDisplay", True) and sub["commandName"] != "help"]


def discussion(text):
    """The discussion as paragraphs: filled text, a new paragraph after a blank line, an indented block or before
    a label such as "Examples:"; indented lines verbatim in no-fill mode."""
    out = []
    mode = "start"  # start | text | verbatim | blank
    for raw in text.splitlines():
        if not raw.strip():
            if mode == "verbatim":
                out.append(".fi")
            mode = "blank" if mode != "start" else mode
            continue
        if raw[0].isspace():
            if mode != "verbatim":
                out += [".PP", ".nf"] if mode != "text" else [".nf"]
                mode = "verbatim"
            out.append(line(raw))
            continue
        if mode == "verbatim":
            out += [".fi", ".PP"]
        elif mode in ("start", "blank") or is_label(raw):
            out.append(".PP")
        out.append(line(raw))
        mode = "text"
    if mode == "verbatim":
        out.append(".fi")
    return out


def flag_names(argument):
    """-R, --rate as bold roff."""
    prefixes = {"short": "-", "long": "--", "longWithSingleDash": "-"}
    names = []
    for name in argument.get("names", []):
        if name["kind"] == "longWithSingleDash" and any(n["name"] == name["name"] and n["kind"] == "long"
                                                         for n in argument["names"]):
            continue
        names.append("\\fB" + escape(prefixes[name["kind"]] + name["name"]) + "\\fR")
    return names


def merged_inversions(arguments):
    """argument-parser lists --tls-resume and --no-tls-resume as two flags with one abstract; the help shows them
    as one entry, and so does the page."""
    merged = []
    for argument in arguments:
        previous = merged[-1] if merged else None
        if (previous and argument["kind"] == "flag" and previous["kind"] == "flag"
                and argument.get("abstract") == previous.get("abstract")
                and argument.get("sectionTitle") == previous.get("sectionTitle")):
            previous = dict(previous, names=previous["names"] + argument["names"])
            merged[-1] = previous
        else:
            merged.append(argument)
    return merged


def argument_entry(argument):
    """One .TP entry: the names (or <VALUE> for a positional), then the abstract with default and values."""
    value = "\\fI" + escape(argument.get("valueName", "value")) + "\\fR"
    if argument["kind"] == "positional":
        head = value + (" ..." if argument.get("isRepeating") else "")
    else:
        head = ", ".join(flag_names(argument))
        if argument["kind"] == "option":
            head += " " + value
    body = argument.get("abstract", "")
    if argument.get("allValues"):
        body += " Values: " + ", ".join(argument["allValues"]) + "."
    if argument.get("defaultValue") is not None:
        body += " (default: " + str(argument["defaultValue"]) + ")"
    out = [".TP", head]
    out += [line(text) for text in body.strip().splitlines()] or ["\\&"]
    return out


def argument_sections(command):
    """ARGUMENTS, then OPTIONS: one subsection per titled group in the help's order, the untitled options last
    (under "Other options" when there are groups), as the help shows them."""
    shown = merged_inversions([a for a in command.get("arguments", []) if a.get("shouldDisplay", True)])
    positionals = [a for a in shown if a["kind"] == "positional" and not a.get("sectionTitle")]
    out = []
    if positionals:
        out.append(".SH ARGUMENTS")
        for argument in positionals:
            out += argument_entry(argument)
    groups = {}
    for argument in shown:
        if argument in positionals:
            continue
        groups.setdefault(argument.get("sectionTitle") or "", []).append(argument)
    if groups:
        out.append(".SH OPTIONS")
    for title, arguments in sorted(groups.items(), key=lambda item: item[0] == ""):
        if title or len(groups) > 1:
            out.append(".SS " + line(title or "Other options"))
        for argument in arguments:
            out += argument_entry(argument)
    return out


def synopsis(command, path):
    """loadgen dns [options], with positionals and required options spelled out."""
    words = ["\\fB" + escape(" ".join(path)) + "\\fR"]
    if visible_subcommands(command):
        words.append("\\fISUBCOMMAND\\fR")
    words.append("[\\fIoptions\\fR]")
    for argument in command.get("arguments", []):
        if not argument.get("shouldDisplay", True):
            continue
        value = "\\fI" + escape(argument.get("valueName", "value")) + "\\fR"
        if argument["kind"] == "positional":
            word = value + (" ..." if argument.get("isRepeating") else "")
            words.append(word if not argument.get("isOptional") else "[" + word + "]")
        elif not argument.get("isOptional"):
            words.append(flag_names(argument)[-1] + " " + value)
    return [".SH SYNOPSIS", ".nh", ".ad l", " ".join(words), ".ad", ".hy"]


def subcommand_list(command, path):
    out = [".SH COMMANDS"]
    for sub in visible_subcommands(command):
        out += [".TP", "\\fB" + escape(page_name(path + [sub["commandName"]])) + "\\fR(" + SECTION + ")",
                line(sub.get("abstract", ""))]
    return out


def see_also(command, path):
    pages = [] if len(path) == 1 else [page_name(path[:-1])]
    pages += [page_name(path + [sub["commandName"]]) for sub in visible_subcommands(command)]
    if not pages:
        pages = [path[0]]
    refs = ["\\fB" + escape(name) + "\\fR(" + SECTION + ")" for name in pages]
    return [".SH SEE ALSO", ",\n".join(refs)]


def render(command, path, version, date):
    """The whole page of one command."""
    name = page_name(path)
    out = ['.TH "%s" "%s" "%s" "loadgen %s" "%s"' % (escape(name.upper()), SECTION, date, escape(version), MANUAL),
           ".SH NAME", escape(name) + " \\- " + escape(command.get("abstract", "").rstrip("."))]
    out += synopsis(command, path)
    out += [".SH DESCRIPTION", line(command.get("abstract", ""))]
    out += discussion(command.get("discussion", ""))
    out += argument_sections(command)
    if visible_subcommands(command):
        out += subcommand_list(command, path)
        out += [".PP", "See \\fB" + escape(" ".join(path)) + " \\fISUBCOMMAND\\fB \\-\\-help\\fR for details."]
    out += see_also(command, path)
    return "\n".join(out) + "\n"


def write_pages(command, path, args):
    """The page of `command` and, recursively, of its visible subcommands."""
    file_name = page_name(path) + "." + SECTION
    with open(os.path.join(args.outdir, file_name), "w", encoding="utf-8") as out:
        out.write(render(command, path, args.version, args.date))
    print(file_name)
    for sub in visible_subcommands(command):
        write_pages(sub, path + [sub["commandName"]], args)


def main():
    parser = argparse.ArgumentParser(description="Man pages from `loadgen --experimental-dump-help` on stdin.")
    parser.add_argument("--version", required=True, help="the version the pages name (loadgen --version)")
    parser.add_argument("--date", required=True, help="the pages' date, YYYY-MM-DD")
    parser.add_argument("outdir")
    args = parser.parse_args()
    tool = json.load(sys.stdin)
    if "command" not in tool or "commandName" not in tool["command"]:
        sys.exit("manpage.py: stdin is not argument-parser's ToolInfo JSON (loadgen --experimental-dump-help)")
    os.makedirs(args.outdir, exist_ok=True)
    write_pages(tool["command"], [tool["command"]["commandName"]], args)


if __name__ == "__main__":
    main()
