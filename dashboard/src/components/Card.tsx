import type { ReactNode } from 'react';

export function Card({
  title,
  children,
  className,
  extra,
}: {
  title: ReactNode;
  children: ReactNode;
  className?: string;
  extra?: ReactNode;
}) {
  return (
    <section className={`card ${className ?? ''}`}>
      <div className="card-head">
        <h2>{title}</h2>
        {extra}
      </div>
      {children}
    </section>
  );
}
