package dev.understudy.common.alert;

/** How urgently an operator should look. */
public enum Severity {
    ERROR, WARNING, INFO
}
