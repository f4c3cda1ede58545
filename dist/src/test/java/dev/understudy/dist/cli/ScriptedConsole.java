package dev.understudy.dist.cli;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** A {@link WizardConsole} that answers from a script and records every prompt and line shown. */
final class ScriptedConsole implements WizardConsole {

    private final Deque<String> answers = new ArrayDeque<>();
    final List<String> prompts = new ArrayList<>();
    final List<String> passwordPrompts = new ArrayList<>();
    final List<String> shown = new ArrayList<>();

    ScriptedConsole(String... answers) {
        this.answers.addAll(List.of(answers));
    }

    @Override
    public String readLine(String prompt) {
        prompts.add(prompt);
        return answers.poll();
    }

    @Override
    public char[] readPassword(String prompt) {
        passwordPrompts.add(prompt);
        String a = answers.poll();
        return a == null ? null : a.toCharArray();
    }

    @Override
    public void println(String line) {
        shown.add(line);
    }

    /** Answers not consumed. */
    int unused() {
        return answers.size();
    }
}
